package config

import (
	"path/filepath"
	"slices"
	"sort"
)

// LoadOption changes what Load checks.
type LoadOption func(*loadOptions)

type loadOptions struct {
	deferData  bool
	noPassword bool
}

// DeferDataChecks leaves the checks of CheckData out of Load: that the data
// source's folder, SQLite file and table files are there and can be read. The
// daemon loads its config so: data that is missing at start (a mount not there yet,
// a file being replaced) fails the runs that need it, which are recorded, notified
// and retried like any failed run, instead of stopping the daemon. A config that is
// wrong in itself still fails Load.
func DeferDataChecks() LoadOption {
	return func(o *loadOptions) { o.deferData = true }
}

// WithoutSMTPPassword leaves reading the SMTP password (smtp.password_env,
// smtp.password_file) out of Load, for the commands that send no mail
// (history, next, kpis, generate without --send): an operator can read the
// ledger or compute the KPIs without the mail secret. The settings themselves
// are still checked; Config.SMTP.Password stays empty.
func WithoutSMTPPassword() LoadOption {
	return func(o *loadOptions) { o.noPassword = true }
}

func loadOpts(opts []LoadOption) loadOptions {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func deferData(opts []LoadOption) bool { return loadOpts(opts).deferData }

// CheckData checks that the data source's folder (source.dir), SQLite file
// (source.path) and table files (source.tables.<table>.file) exist and can be read,
// as Load does unless DeferDataChecks, and returns a *ValidationError listing what
// is not, or nil.
func (c *Config) CheckData() error {
	var ps problems
	c.checkData(&ps)
	if len(ps) == 0 {
		return nil
	}
	name := c.Path
	if name == "" {
		name = parseName
	}
	return &ValidationError{File: name, Problems: ps}
}

// checkData reports the data source's folder, SQLite file and table files that are
// missing or cannot be read; the settings themselves are checked by checkSource.
func (c *Config) checkData(ps *problems) {
	s := &c.Source
	st, ok := findSourceType(s.Type)
	if !ok {
		return
	}
	if s.Dir != "" && slices.Contains(st.keys, "dir") {
		checkDir(ps, "source.dir", c.abs(s.Dir))
	}
	if s.Path != "" && slices.Contains(st.keys, "path") {
		checkSQLite(ps, "source.path", c.abs(s.Path))
	}
	if !slices.Contains(st.tableKeys, "file") {
		return
	}
	names := make([]string, 0, len(s.Tables))
	for name := range s.Tables {
		if slices.Contains(tables, name) {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return tableOrder(names[i]) < tableOrder(names[j]) })
	for _, name := range names {
		t := s.Tables[name]
		if t.File != "" && (s.Dir != "" || filepath.IsAbs(t.File)) {
			checkFile(ps, "source.tables."+name+".file", c.tableFile(t.File))
		}
	}
}
