package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/jobs"
)

var runCmd = &command{
	name:    "run",
	summary: "run the scheduler daemon: every job on its cron schedule, mailed exactly once",
	usage:   "run --config FILE",
	help: `
Schedules every [[jobs]] entry on its cron expression in report.timezone and, when a
job fires, reports the last complete period: compute, render, and mail to the job's
recipients (delivery.mode smtp) or write .eml files (outbox). Each recipient gets a
period's report once, whatever restarts, retries or DST changes happen: the ledger
(state.path) records every run and delivery. At start it resumes unsent deliveries and
catches up on periods missed while it was down (per job: catch_up = latest|all|none);
while it runs it tries unsent deliveries and failed periods again every
delivery.resume_interval, waiting twice as long after each failed run of a period,
up to 6h (failed periods not with catch_up = none).
Data that is missing or unreadable at start (source.dir, source.path, a table's file)
does not stop it: it logs a warning, and each run that needs the data fails, is
recorded, notifies delivery.operators and is retried until the data is there. A config
that is wrong in itself, or a ledger that cannot be opened, exits 1 at start.
SIGINT/SIGTERM stop scheduling and let a run in flight finish (30 s), then cancel it.
Logs one line per run on stderr (log.format text|json).
Several replicas can run side by side on a shared ledger ([state] driver = "postgres"):
each period is claimed in the ledger by one of them at a time.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		return func(ctx context.Context, e *env, args []string) error {
			// Data that is not there at start fails the runs that need it (recorded,
			// notified, retried); a config that is wrong in itself, or a ledger that
			// cannot be opened, stops the daemon here.
			cfg, err := loadConfig(*cfgPath, config.DeferDataChecks())
			if err != nil {
				return err
			}
			log := daemonLogger(e, cfg)
			svc, err := jobs.OpenService(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer svc.Close()
			log.Info("kpireport daemon starting", slog.String("config", cfg.Path),
				slog.Int("jobs", len(cfg.Jobs)), slog.String("delivery", cfg.Delivery.Mode),
				slog.String("state", stateName(cfg)), slog.Int("pid", os.Getpid()))
			var ve *config.ValidationError
			if errors.As(cfg.CheckData(), &ve) {
				var problems []string
				for _, p := range ve.Problems {
					log.Warn("data source not available: its runs fail, and are retried, until it is",
						slog.String("key", p.Key), slog.String("error", p.Message))
					problems = append(problems, p.Key+": "+p.Message)
				}
				// The operators hear of it now, not at the next firing.
				svc.NotifyUnavailableSource(ctx, problems)
			}
			return (&jobs.Daemon{Service: svc}).Run(ctx)
		}
	},
}

// daemonLogger returns the logger of [log]: text or JSON on stderr at its level.
func daemonLogger(e *env, cfg *config.Config) *slog.Logger {
	level := slog.LevelInfo
	if e.logLevel == slog.LevelDebug {
		level = slog.LevelDebug
	} else {
		_ = level.UnmarshalText([]byte(cfg.Log.Level))
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// printRun prints what a manual run did: the files, and who got the mail. Who did
// not, and why, is in the run's error, which Main prints on stderr.
func printRun(e *env, res *jobs.RunResult) {
	for _, f := range res.Files {
		fmt.Fprintln(e.stdout, f.Path)
	}

	if d := res.Delivery; d != nil {
		for _, r := range d.Sent {
			fmt.Fprintf(e.stdout, "sent to %s\n", r)
		}
		for _, r := range d.Skipped {
			fmt.Fprintf(e.stdout, "already sent to %s (use --resend to send again)\n", r)
		}
	}
}

// stateName says where the ledger is, without the DSN (it may hold a password).
func stateName(cfg *config.Config) string {
	if cfg.State.Driver == "postgres" {
		return "postgres ($" + cfg.State.DSNEnv + ")"
	}
	return cfg.State.Path
}

// heldError is the error of a run whose report the data-quality gate held.
func heldError(res *jobs.RunResult) error {
	return fmt.Errorf("held, not sent: %s (the daemon sends it when the data passes; --force sends it now)", strings.Join(res.Held, "; "))
}
