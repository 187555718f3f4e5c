package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

var validateCmd = &command{
	name:    "validate",
	summary: "check a config and that every table of its data source loads",
	usage:   "validate --config FILE",
	help: `
Checks the config (every problem at once, with its key path), then reads every table
of the data source and checks every row against the data contract (docs/kpis.md).
Exits 0 when all is well, 1 with each problem on its own line otherwise.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		return func(ctx context.Context, e *env, args []string) error {
			cfg, err := loadConfig(*cfgPath)
			if err != nil {
				return err
			}
			runner := &jobs.Runner{Config: cfg, Logger: e.logger()}
			// Every row is parsed and checked whatever the plan; the plan only decides
			// which windows are summed.
			p := period.LastComplete(period.Month, runner.Clock(), cfg.Report.Location)
			if _, err := runner.Load(ctx, kpi.NewPlan(p)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: config ok, %s source loads (%d jobs)\n", cfg.Path, cfg.Source.Type, len(cfg.Jobs))
			return nil
		}
	},
}
