package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kpireport/kpireport/jobs"
)

var historyCmd = &command{
	name:    "history",
	summary: "list the ledger's runs and deliveries",
	usage:   "history --config FILE [--job NAME] [--limit N]",
	help: `
Lists the runs recorded in the ledger (state.path), newest first: job, period, trigger,
attempt, status, start time in the report's zone, duration and error; then the
deliveries of those jobs and periods: recipient, status, attempts, sent time and the
last error.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		jobName := fs.String("job", "", "only this job")
		limit := fs.Int("limit", 20, "at most this many runs (0 = all)")
		return func(ctx context.Context, e *env, args []string) error {
			cfg, err := loadConfig(*cfgPath)
			if err != nil {
				return err
			}
			if *jobName != "" {
				if _, err := cfg.Job(*jobName); err != nil {
					return usageError{err.Error()}
				}
			}
			l, err := jobs.OpenLedger(ctx, cfg)
			if err != nil {
				return err
			}
			defer l.Close()
			runs, err := l.Runs(ctx, *jobName, *limit)
			if err != nil {
				return err
			}
			if len(runs) == 0 {
				fmt.Fprintln(e.stdout, "no runs yet")
				return nil
			}
			loc := cfg.Report.Location
			stamp := func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.In(loc).Format("2006-01-02 15:04:05")
			}
			rows := [][]string{{"RUN", "JOB", "PERIOD", "TRIGGER", "ATTEMPT", "STATUS", "STARTED", "DURATION", "ERROR"}}
			deliveries := [][]string{{"JOB", "PERIOD", "KIND", "RECIPIENT", "STATUS", "ATTEMPTS", "SENT", "LAST ERROR"}}
			shown := map[string]bool{}
			for _, r := range runs {
				dur := ""
				if !r.FinishedAt.IsZero() {
					dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				rows = append(rows, []string{fmt.Sprint(r.ID), r.Job, r.Period, string(r.Trigger),
					fmt.Sprint(r.Attempt), string(r.Status), stamp(r.StartedAt), dur, oneLine(r.Error)})
				key := r.Job + "\x00" + r.Period
				if shown[key] {
					continue
				}
				shown[key] = true
				ds, err := l.Deliveries(ctx, r.Job, r.Period)
				if err != nil {
					return err
				}
				for _, d := range ds {
					deliveries = append(deliveries, []string{d.Job, d.Period, d.Kind, d.Recipient,
						string(d.Status), fmt.Sprint(d.Attempts), stamp(d.SentAt), oneLine(d.LastError)})
				}
			}
			if err := writeTable(e.stdout, rows); err != nil {
				return err
			}
			if len(deliveries) == 1 {
				return nil
			}
			fmt.Fprintln(e.stdout)
			return writeTable(e.stdout, deliveries)
		}
	},
}

var nextCmd = &command{
	name:    "next",
	summary: "list the next scheduled run of every job",
	usage:   "next --config FILE",
	help: `
Prints, for every job, its schedule and the next time it fires in report.timezone,
with the period that run will report.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		return func(ctx context.Context, e *env, args []string) error {
			cfg, err := loadConfig(*cfgPath)
			if err != nil {
				return err
			}
			rows := [][]string{{"JOB", "SCHEDULE", "NEXT RUN", "REPORTS"}}
			for _, j := range cfg.Jobs {
				next, err := nextRun(cfg, &j)
				if err != nil {
					return err
				}
				rows = append(rows, next)
			}
			return writeTable(e.stdout, rows)
		}
	},
}

// oneLine keeps a table cell on one line: an error joined from several reads "a; b".
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }
