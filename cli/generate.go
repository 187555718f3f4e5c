package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

var generateCmd = &command{
	name:    "generate",
	summary: "render a job's Excel workbook and PDF report for one period",
	usage:   "generate --config FILE --job NAME [--period LABEL] [--allow-incomplete] [--out DIR] [--send [--resend] [--force]]",
	help: `
Computes the job's KPIs for the period and renders the formats the job lists
(formats = ["xlsx", "pdf"]) into DIR (default: report.output_dir), named by the job's
filename template (default {{job}}-{{period}}). Files are written to a temporary name
and renamed, so a failed run leaves no partial file. Prints the paths it wrote.
With --send the run is recorded in the ledger and the report is mailed to each of the
job's recipients that does not have this period's report yet; --resend sends it again
to those who have.

A period that has not ended in the report's zone is refused unless --allow-incomplete:
its report then says "to date" (on every PDF page, in the workbook and the mail
subject), and sending it never counts as the period's report: the scheduled run after
the period ends still mails the complete report to everyone. A period that has not
started is always refused.

Before it sends, the run passes the data-quality gate ([quality]: min_orders,
freshness, max_drop). A report whose data fails it is rendered but held: not sent,
recorded as "held" with the reasons (see history), and the operators are told.
--force sends a held report anyway (recorded as forced).`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		jobName := fs.String("job", "", "job name from the config; default: the only job, if there is one")
		label := fs.String("period", "", "period label: 2026-10, 2026-W43 or 2026-Q3 (default: last complete period)")
		out := fs.String("out", "", "output folder (default: report.output_dir of the config)")
		send := fs.Bool("send", false, "mail the report to the job's recipients (recorded in the ledger)")
		resend := fs.Bool("resend", false, "with --send: also to recipients that already have it")
		allowIncomplete := fs.Bool("allow-incomplete", false, "allow a period that has not ended: a report to date")
		force := fs.Bool("force", false, "with --send: send even if the data-quality gate holds the report")
		return func(ctx context.Context, e *env, args []string) error {
			if *resend && !*send {
				return usagef("--resend needs --send")
			}
			if *force && !*send {
				return usagef("--force needs --send")
			}
			if *send {
				svc, job, err := openService(ctx, e, *cfgPath, *jobName)
				if err != nil {
					return err
				}
				defer svc.Close()
				p, err := svc.Runner.Period(job, *label)
				if err != nil {
					return usageError{err.Error()}
				}
				if err := checkPeriod(svc.Runner, p, *allowIncomplete); err != nil {
					return err
				}
				res, err := svc.Run(ctx, job, p, jobs.RunOptions{Trigger: ledger.TriggerManual, Send: true, Resend: *resend, OutDir: *out,
					AllowIncomplete: *allowIncomplete, Force: *force})
				if res != nil {
					printRun(e, res)
				}
				if err == nil && res != nil && len(res.Held) > 0 {
					return heldError(res)
				}
				return err
			}
			runner, job, err := loadJob(e, *cfgPath, *jobName, config.WithoutSMTPPassword())
			if err != nil {
				return err
			}
			p, err := runner.Period(job, *label)
			if err != nil {
				return usageError{err.Error()}
			}
			if err := checkPeriod(runner, p, *allowIncomplete); err != nil {
				return err
			}
			files, err := runner.Generate(ctx, job, p, jobs.GenerateOptions{OutDir: *out})
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(e.stdout, f.Path)
			}
			return nil
		}
	},
}

// checkPeriod refuses, as a usage error, a period that has not started, or has
// not ended without --allow-incomplete (jobs.Runner.CheckPeriod).
func checkPeriod(r *jobs.Runner, p period.Period, allowIncomplete bool) error {
	if err := r.CheckPeriod(p, allowIncomplete); err != nil {
		return usageError{err.Error()}
	}
	return nil
}
