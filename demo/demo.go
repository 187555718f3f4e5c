// Package demo writes a realistic, deterministic synthetic company: customers,
// orders, leads, deals, spend and calls in the canonical tables of the KPI
// data contract, as CSV files or one SQLite database, plus a ready
// kpireport.toml that points at them.
//
// The same Options always give byte-identical files, so the data set can be
// used for golden tests as well as for trying the tool out.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults applied by Generate to zero-valued Options fields.
const (
	DefaultOrders   = 20000
	DefaultSeed     = 1
	DefaultFormat   = FormatSQLite
	DefaultTimezone = "Europe/Amsterdam"
)

// Output formats accepted in Options.Format.
const (
	FormatSQLite = "sqlite"
	FormatCSV    = "csv"
)

// filePerm is the mode of the written files; temporary files start private.
const filePerm = 0o644

// Months is the number of calendar months the data set covers, ending with
// the month of Options.End.
const Months = 27

// Options says what to generate. Zero values take the documented defaults.
type Options struct {
	// Dir is the output folder; it is created when missing. The data goes to
	// Dir/data/ and the config to Dir/kpireport.toml. Required.
	Dir string
	// Orders is the number of orders. Default: 20000. The other tables scale
	// with it (customers ≈ Orders/40, leads ≈ Orders/8, deals ≈ Orders/20,
	// calls ≈ Orders/4), and memory stays bounded at any size.
	Orders int
	// Seed selects the data set. Default: 1.
	Seed int64
	// Format is "sqlite" (one file data/kpireport.db) or "csv" (one
	// data/<table>.csv per table). Default: "sqlite".
	Format string
	// End is the last day of the data: it covers the 27 calendar months that
	// end with End's month, that month up to and including End's day in
	// Timezone. Required; callers pass time.Now(), tests a fixed date.
	End time.Time
	// Timezone is the IANA zone of the generated local timestamps and of the
	// config. Default: "Europe/Amsterdam".
	Timezone string
	// Force overwrites Dir/kpireport.toml and the data files also when kpireport
	// demo did not write them. Default: false, and such files are ErrNotDemo.
	Force bool
}

// Result says what Generate wrote.
type Result struct {
	ConfigPath string         // Dir/kpireport.toml
	DataPath   string         // Dir/data/kpireport.db, or Dir/data for csv
	Rows       map[string]int // rows written per table
}

// Generate writes the demo data set and its config described by opt. It replaces a
// config or data file only when kpireport demo wrote it (the config's first line is
// Marker), or with opt.Force; otherwise it writes nothing and returns ErrNotDemo.
//
// Every file is written under a temporary name in its final folder and renamed
// only when all of them are complete, so a failed or cancelled run leaves no
// partial file behind (and removes the folders it created, when empty).
func Generate(ctx context.Context, opt Options) (res Result, err error) {
	opt, loc, err := opt.normalize()
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("generate demo data: %w", err)
	}
	if err := checkOverwrite(opt); err != nil {
		return Result{}, err
	}
	cal := newCalendar(opt.End, loc)
	dataDir := filepath.Join(opt.Dir, "data")

	created, err := mkdirs(opt.Dir, dataDir)
	if err != nil {
		return Result{}, fmt.Errorf("generate demo data: %w", err)
	}
	var st store
	defer func() {
		if err == nil {
			return
		}
		var errs []error
		if st != nil {
			errs = append(errs, st.discard())
		}
		for i := len(created) - 1; i >= 0; i-- {
			// Only empty folders go; anything put there meanwhile stays.
			if entries, rerr := os.ReadDir(created[i]); rerr == nil && len(entries) == 0 {
				errs = append(errs, os.Remove(created[i]))
			}
		}
		if cerr := errors.Join(errs...); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up: %w", cerr))
		}
	}()

	switch opt.Format {
	case FormatCSV:
		st = newCSVStore(dataDir)
		res.DataPath = dataDir
	default:
		path := filepath.Join(dataDir, "kpireport.db")
		sq, err := newSQLiteStore(ctx, path)
		if err != nil {
			return Result{}, fmt.Errorf("generate demo data: %w", err)
		}
		st, res.DataPath = sq, path
	}

	g := newGenerator(ctx, opt, cal)
	res.Rows = make(map[string]int, len(tables))
	for _, t := range tables {
		n, err := writeTable(ctx, st, g, t)
		if err != nil {
			return Result{}, fmt.Errorf("generate demo data: %s: %w", t.name, err)
		}
		res.Rows[t.name] = n
	}

	res.ConfigPath = filepath.Join(opt.Dir, "kpireport.toml")
	cfg, err := writeTemp(res.ConfigPath, []byte(configText(opt, g.targets())))
	if err != nil {
		return Result{}, fmt.Errorf("generate demo data: write config: %w", err)
	}
	if err := st.commit(ctx); err != nil {
		return Result{}, errors.Join(fmt.Errorf("generate demo data: %w", err), os.Remove(cfg))
	}
	if err := os.Rename(cfg, res.ConfigPath); err != nil {
		return Result{}, errors.Join(fmt.Errorf("generate demo data: write config: %w", err), os.Remove(cfg))
	}
	return res, nil
}

// writeTable streams one table from g into st and reports its row count.
// After an error the writer is left to st.discard.
func writeTable(ctx context.Context, st store, g *generator, t *table) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	w, err := st.create(ctx, t)
	if err != nil {
		return 0, err
	}
	n, err := t.generate(g, w)
	if err != nil {
		return n, err
	}
	return n, w.close()
}

// normalize applies the defaults and checks opt.
func (opt Options) normalize() (Options, *time.Location, error) {
	if opt.Dir == "" {
		return opt, nil, fmt.Errorf("%w: dir is empty", ErrInvalidOptions)
	}
	if opt.Orders == 0 {
		opt.Orders = DefaultOrders
	}
	if opt.Orders < 0 {
		return opt, nil, fmt.Errorf("%w: orders %d is negative", ErrInvalidOptions, opt.Orders)
	}
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	if opt.Format == "" {
		opt.Format = DefaultFormat
	}
	if opt.Format != FormatSQLite && opt.Format != FormatCSV {
		return opt, nil, fmt.Errorf("%w: format %q (want %q or %q)", ErrInvalidOptions, opt.Format, FormatSQLite, FormatCSV)
	}
	if opt.End.IsZero() {
		return opt, nil, fmt.Errorf("%w: end time is not set", ErrInvalidOptions)
	}
	if opt.Timezone == "" {
		opt.Timezone = DefaultTimezone
	}
	loc, err := time.LoadLocation(opt.Timezone)
	if err != nil {
		return opt, nil, fmt.Errorf("%w: timezone %q: %v", ErrInvalidOptions, opt.Timezone, err)
	}
	if opt.Format == FormatSQLite && strings.ContainsRune(opt.Dir, '?') {
		// The SQLite driver reads everything after '?' as connection parameters.
		return opt, nil, fmt.Errorf("%w: dir %q contains '?', which SQLite file names cannot", ErrInvalidOptions, opt.Dir)
	}
	return opt, loc, nil
}

// mkdirs creates the given folders, parents first, and returns the ones
// that did not exist before.
func mkdirs(dirs ...string) ([]string, error) {
	var created []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}

// writeTemp writes data to a new temporary file next to path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	err = f.Chmod(filePerm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Join(err, os.Remove(f.Name()))
	}
	return f.Name(), nil
}
