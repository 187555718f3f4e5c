package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/ledger"
)

var historyCmd = &command{
	name:    "history",
	summary: "list the ledger's runs, their files and deliveries",
	usage:   "history --config FILE [--job NAME] [--limit N]",
	help: `
Lists the runs recorded in the ledger ([state]), newest first: job, period, trigger,
attempt, status, start time in the report's zone, duration and error; then the files
those runs wrote: run, file name, size and the first 12 hex digits of its SHA-256 (the
ledger keeps the whole path and hash); then the deliveries of those jobs and periods:
recipient, status, attempts, sent time, the short SHA-256 of each attachment that
recipient got (in the order attached; the same as the FILE table's when it got the
files that run rendered) and the last error.
A run still "running" in the ledger whose process is gone (no live claim on its
period) shows as "interrupted?". Deliveries the delivery journal holds (a mail the
server accepted while the ledger could not record it) are written into the ledger
first; if it cannot take them yet, they show as "sent (journal, not yet in the
ledger)".`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		jobName := fs.String("job", "", "only this job")
		limit := fs.Int("limit", 20, "at most this many runs (0 = all)")
		return func(ctx context.Context, e *env, args []string) error {
			// Reading the ledger needs neither the mail secret nor the data.
			cfg, err := loadConfig(*cfgPath, config.DeferDataChecks(), config.WithoutSMTPPassword())
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
			// Deliveries journaled after a 250 that the ledger could not record
			// (delivery.Journal): written into the ledger now if it can take
			// them, else shown from the journal.
			journal := delivery.NewJournal(jobs.JournalPath(cfg))
			_, _, _ = journal.Replay(ctx, l) // what it cannot write stays in the journal
			journaled := map[int64]bool{}
			if es, err := journal.Entries(); err == nil {
				for _, je := range es {
					if je.Status == ledger.DeliverySent {
						journaled[je.Delivery] = true
					}
				}
			}
			now := time.Now()
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
			files := [][]string{{"RUN", "FILE", "SIZE", "SHA-256"}}
			deliveries := [][]string{{"JOB", "PERIOD", "KIND", "RECIPIENT", "STATUS", "ATTEMPTS", "SENT", "SHA-256", "LAST ERROR"}}
			shown := map[string]bool{}
			for _, r := range runs {
				dur := ""
				if !r.FinishedAt.IsZero() {
					dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				rows = append(rows, []string{fmt.Sprint(r.ID), r.Job, r.Period, string(r.Trigger),
					fmt.Sprint(r.Attempt), runStatus(ctx, l, r, now), stamp(r.StartedAt), dur, oneLine(r.Error)})
				for _, a := range r.Artifacts {
					files = append(files, []string{fmt.Sprint(r.ID), filepath.Base(a.Path), byteSize(a.Bytes), shortHash(a.SHA256)})
				}
				key := r.Job + "\x00" + r.Period
				if shown[key] {
					continue
				}
				shown[key] = true
				ds, err := l.Deliveries(ctx, r.Job, r.Period)
				if err != nil {
					return err
				}
				if r.Incomplete {
					// A report to date is delivered under a key of its own (jobs.toDateLabel).
					toDate, err := l.Deliveries(ctx, r.Job, r.Period+"~to-"+r.StartedAt.In(loc).Format("2006-01-02"))
					if err != nil {
						return err
					}
					ds = append(ds, toDate...)
				}
				for _, d := range ds {
					status := string(d.Status)
					if journaled[d.ID] && d.Status != ledger.DeliverySent {
						status = "sent (journal, not yet in the ledger)"
					}
					deliveries = append(deliveries, []string{d.Job, d.Period, d.Kind, d.Recipient,
						status, fmt.Sprint(d.Attempts), stamp(d.SentAt), sentHashes(d.Files), oneLine(d.LastError)})
				}
			}
			// The runs, then their files and the deliveries when there are any, a blank
			// line apart.
			if err := writeTable(e.stdout, rows); err != nil {
				return err
			}
			for _, table := range [][][]string{files, deliveries} {
				if len(table) == 1 {
					continue // a header without rows
				}
				fmt.Fprintln(e.stdout)
				if err := writeTable(e.stdout, table); err != nil {
					return err
				}
			}
			return nil
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
			cfg, err := loadConfig(*cfgPath, config.DeferDataChecks(), config.WithoutSMTPPassword())
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

// byteSize returns n bytes as a person reads them: 812 B, 61.2 KiB, 1.4 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, prefix := float64(n)/unit, "K"
	for _, p := range []string{"M", "G", "T"} {
		if v < unit {
			break
		}
		v, prefix = v/unit, p
	}
	return fmt.Sprintf("%.1f %siB", v, prefix)
}

// shortHash returns the first 12 hex digits of a SHA-256, enough to tell two files
// apart by eye (sha256sum prints the whole of it).
func shortHash(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// sentHashes is the short SHA-256 of each attachment a recipient got, in the
// order attached, comma-separated: the same hashes as the run's FILE table when
// the recipient got the files that run rendered.
func sentHashes(files []ledger.SentFile) string {
	sums := make([]string, len(files))
	for i, f := range files {
		sums[i] = shortHash(f.SHA256)
	}
	return strings.Join(sums, ",")
}

// oneLine keeps a table cell on one line: an error joined from several reads "a; b".
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// runStatus is a run's status with what it covered: "succeeded, to date" for a
// run of a period that had not ended, ", forced" for a held report sent anyway;
// "interrupted?" for a running run whose process is gone (jobs.RunInterrupted).
func runStatus(ctx context.Context, l *ledger.Ledger, r ledger.Run, now time.Time) string {
	s := string(r.Status)
	if jobs.RunInterrupted(ctx, l, r, now) {
		s = "interrupted?"
	}
	if r.Incomplete {
		s += ", to date"
	}
	if r.Forced {
		s += ", forced"
	}
	return s
}
