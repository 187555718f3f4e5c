package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/kpireport/kpireport/demo"
)

var demoCmd = &command{
	name:    "demo",
	summary: "write a synthetic demo company (data and a ready config)",
	usage:   "demo [--dir DIR] [--orders N] [--seed S] [--format sqlite|csv] [--force]",
	help: `
Writes a realistic, deterministic synthetic company: customers acquired and churning,
orders with refunds, recurring revenue and upsells, leads, deals, marketing and sales
spend and calls, over the 27 months up to today, and a config (DIR/kpireport.toml)
pointing at it. The same seed and day give the same files. Memory stays bounded at any
--orders (10,000,000 works).
Running demo again into the same folder replaces what it wrote there. It refuses to
replace a DIR/kpireport.toml whose first line is not "# written by kpireport demo",
or data files (DIR/data/kpireport.db, DIR/data/*.csv) in a folder without such a
config, unless --force.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		dir := fs.String("dir", "kpireport-demo", "output folder")
		orders := fs.Int("orders", 20000, "number of orders")
		seed := fs.Int64("seed", 1, "random seed")
		format := fs.String("format", "sqlite", "data format: sqlite or csv")
		force := fs.Bool("force", false, "overwrite DIR/kpireport.toml and the data files also when demo did not write them")
		return func(ctx context.Context, e *env, args []string) error {
			if *format != "sqlite" && *format != "csv" {
				return usagef("--format must be sqlite or csv, not %q", *format)
			}
			if *orders < 1 {
				return usagef("--orders must be at least 1")
			}
			start := time.Now()
			res, err := demo.Generate(ctx, demo.Options{
				Dir: *dir, Orders: *orders, Seed: *seed, Format: *format, End: time.Now(), Force: *force,
			})
			if errors.Is(err, demo.ErrNotDemo) {
				return err // says what and how, after "demo: "
			}
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			fmt.Fprintf(e.stdout, "wrote %d orders (%s) to %s in %s\nconfig: %s\n", res.Rows["orders"],
				*format, res.DataPath, time.Since(start).Round(time.Millisecond), res.ConfigPath)
			return nil
		}
	},
}
