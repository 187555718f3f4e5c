package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

var backfillCmd = &command{
	name:    "backfill",
	summary: "generate (and optionally send) a job's reports for a range of past periods",
	usage:   "backfill --config FILE --job NAME --from LABEL --to LABEL [--allow-incomplete] [--send] [--resend]",
	help: `
Runs the job for every period from --from to --to (inclusive, oldest first), as a
manual run recorded in the ledger. Without --send it only renders the files. With
--send each recipient that does not have a period's report yet gets it; --resend sends
again to those who have. Stops at the first period that fails.
A --to period that has not ended is refused unless --allow-incomplete (its report is
"to date" and never counts as the period's report); one that has not started always.
A period whose data the quality gate ([quality]) holds is rendered, not sent, and
recorded as held; backfill goes on with the next period and exits 1 at the end.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		jobName := fs.String("job", "", "job name from the config; default: the only job")
		from := fs.String("from", "", "first period label, e.g. 2026-01 (required)")
		to := fs.String("to", "", "last period label, e.g. 2026-06 (required)")
		send := fs.Bool("send", false, "mail the reports to the job's recipients")
		resend := fs.Bool("resend", false, "with --send: also to recipients that already have them")
		out := fs.String("out", "", "output folder (default: report.output_dir)")
		allowIncomplete := fs.Bool("allow-incomplete", false, "allow a last period that has not ended: a report to date")
		return func(ctx context.Context, e *env, args []string) error {
			if *from == "" || *to == "" {
				return usagef("--from and --to are required")
			}
			if *resend && !*send {
				return usagef("--resend needs --send")
			}
			svc, job, err := openService(ctx, e, *cfgPath, *jobName)
			if err != nil {
				return err
			}
			defer svc.Close()
			kind, _ := period.ParseKind(job.Period)
			first, err := period.ParseKindLabel(kind, *from)
			if err != nil {
				return usageError{err.Error()}
			}
			last, err := period.ParseKindLabel(kind, *to)
			if err != nil {
				return usageError{err.Error()}
			}
			if last.Start() < first.Start() {
				return usagef("--to %s is before --from %s", last, first)
			}
			if err := checkPeriod(svc.Runner, last, *allowIncomplete); err != nil {
				return err
			}
			var held []string
			for p := first; p.Start() <= last.Start(); p = p.Next() {
				fmt.Fprintf(e.stdout, "%s:\n", p)
				res, err := svc.Run(ctx, job, p, jobs.RunOptions{Trigger: ledger.TriggerManual, Send: *send, Resend: *resend, OutDir: *out,
					AllowIncomplete: *allowIncomplete})
				if res != nil {
					printRun(e, res)
					if len(res.Held) > 0 {
						fmt.Fprintf(e.stdout, "%v\n", heldError(res))
						held = append(held, p.Label())
					}
				}
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
			}
			if len(held) > 0 {
				return fmt.Errorf("held by the data-quality gate, not sent: %s", strings.Join(held, ", "))
			}
			return nil
		}
	},
}

// openService loads the config, opens the ledger and finds the job.
func openService(ctx context.Context, e *env, cfgPath, name string) (*jobs.Service, *config.Job, error) {
	runner, job, err := loadJob(e, cfgPath, name)
	if err != nil {
		return nil, nil, err
	}
	svc, err := jobs.OpenService(ctx, runner.Config, runner.Logger)
	if err != nil {
		return nil, nil, err
	}
	svc.OneShot = true // the command line says a failure once, on one line
	return svc, job, nil
}
