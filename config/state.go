package config

import (
	"os"
	"slices"
)

// State says where kpireport keeps its run ledger: which periods each job
// has done and which recipients each report reached.
type State struct {
	Driver string `toml:"driver"`  // "sqlite" (default) | "postgres"
	Path   string `toml:"path"`    // sqlite: database file, default "kpireport-state.db" beside the config, resolved
	DSNEnv string `toml:"dsn_env"` // postgres: name of the environment variable holding the DSN; required
	// DSN is read by Load from dsn_env when the driver is "postgres"; it is
	// never in the file.
	DSN Secret `toml:"-"`
}

// Defaults of [state].
const (
	DefaultStateDriver = "sqlite"
	DefaultStatePath   = "kpireport-state.db"
)

// stateDriver is a database the ledger can be kept in.
type stateDriver struct {
	name string
	file bool // a file at path, resolved against the config's folder; else a server at the DSN in dsn_env
}

// stateDrivers are the ledger databases kpireport knows. This list is the
// only place that knows them: a new driver is one entry here.
var stateDrivers = []stateDriver{
	{name: "sqlite", file: true},
	{name: "postgres"},
}

func findStateDriver(name string) (stateDriver, bool) {
	i := slices.IndexFunc(stateDrivers, func(d stateDriver) bool { return d.name == name })
	if i < 0 {
		return stateDriver{}, false
	}
	return stateDrivers[i], true
}

func stateDriverNames() []string {
	names := make([]string, len(stateDrivers))
	for i, d := range stateDrivers {
		names[i] = d.name
	}
	return names
}

// stateFile reports whether state.path names a file, to be resolved.
func (s *State) stateFile() bool {
	d, ok := findStateDriver(s.Driver)
	return ok && d.file
}

// checkState checks [state] and, for a database server, reads its DSN from
// the environment.
func (c *Config) checkState(ps *problems) Secret {
	s := &c.State
	d, ok := findStateDriver(s.Driver)
	switch {
	case s.Driver == "":
		ps.add("state.driver", "is empty; one of %s", list(stateDriverNames()))
	case !ok:
		ps.add("state.driver", "%s is not a state driver; one of %s", quote(s.Driver), list(stateDriverNames()))
	}
	if !ok {
		return ""
	}
	if !d.file {
		if s.Path != "" {
			ps.add("state.path", "does not apply to state driver %q; its DSN is in the variable state.dsn_env names", d.name)
		}
		if s.DSNEnv == "" {
			ps.add("state.dsn_env", "is required for state driver %q: the name of the environment variable holding the DSN", d.name)
			return ""
		}
		return readEnv(ps, "state.dsn_env", s.DSNEnv, "DSN")
	}
	if s.DSNEnv != "" {
		ps.add("state.dsn_env", "does not apply to state driver %q", d.name)
	}
	if s.Path == "" {
		ps.add("state.path", "is empty; leave it out for %q", DefaultStatePath)
		return ""
	}
	path := c.abs(s.Path)
	if c.Source.Type == "sqlite" && c.Source.Path != "" && c.abs(c.Source.Path) == path {
		ps.add("state.path", "%q is also source.path; the ledger needs a database of its own", path)
		return ""
	}
	if _, err := os.Stat(path); err == nil {
		checkSQLite(ps, "state.path", path)
	}
	return ""
}
