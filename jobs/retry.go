package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/kpireport/kpireport/backoff"
	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// maxRetryWait caps the wait before the daemon runs a failed period again.
const maxRetryWait = 6 * time.Hour

// noticeEvery is the least time between two failure notices of one period.
const noticeEvery = 24 * time.Hour

// retryAt returns when the daemon's periodic resume may run a period again after
// streak, the period's failed runs in a row (failureStreak, newest first):
// interval·2^(len(streak)−1), at most maxRetryWait (backoff.Wait), after the end of
// the latest of them. It is the zero time (at
// once) when streak is empty. Both a failed run of the due period (retryPeriods) and a
// period whose mail is still owed (owedDue) wait for it; the ledger holds the runs, so
// the wait holds across restarts and replicas.
func retryAt(streak []ledger.Run, interval time.Duration) time.Time {
	if len(streak) == 0 {
		return time.Time{}
	}
	return streak[0].FinishedAt.Add(backoff.Wait(interval, maxRetryWait, len(streak)))
}

// owedDue reports whether the daemon's periodic resume runs jp, a period with
// deliveries still owed (owedPeriods), again at now. A run that leaves mail owed is
// recorded as failed (the delivery's retries ran out, the run timed out or its
// process stopped), so the period waits as a failed run does (retryAt): an interval
// after the run that left the mail owed, then twice as long after each further run
// that did not get it out, at most maxRetryWait. With no failed run in a row (the
// latest run succeeded without sending, or is running), it is resumed at once.
func (d *Daemon) owedDue(ctx context.Context, jp jobPeriod, interval time.Duration, now time.Time) (bool, error) {
	_, over, err := d.waitOver(ctx, jp, interval, now)
	return over, err
}

// waitOver returns jp's failed and held runs in a row (failureStreak) and whether
// the wait after them (retryAt) is over at now.
func (d *Daemon) waitOver(ctx context.Context, jp jobPeriod, interval time.Duration, now time.Time) (streak []ledger.Run, over bool, err error) {
	runs, err := d.Service.Ledger.PeriodRuns(ctx, jp.job.Name, jp.period.Label())
	if err != nil {
		return nil, false, err
	}
	streak = failureStreak(runs)
	if at := retryAt(streak, interval); now.Before(at) {
		failed, held := streakCounts(streak)
		d.log().LogAttrs(ctx, slog.LevelDebug, "run again later", slog.String("job", jp.job.Name),
			slog.String("period", jp.period.Label()), slog.Int("failed_runs", failed), slog.Int("held_runs", held), slog.Time("at", at))
		return streak, false, nil
	}
	return streak, true, nil
}

// streakCounts returns how many runs of streak failed and how many the
// data-quality gate held.
func streakCounts(streak []ledger.Run) (failed, held int) {
	for _, r := range streak {
		if r.Status == ledger.RunHeld {
			held++
		} else {
			failed++
		}
	}
	return failed, held
}

// logRunAgain logs that the periodic resume runs jp again after streak: "retry
// failed run" when its latest run failed, "re-check held run" when the
// data-quality gate held it, with the failed and the held runs in a row.
func (d *Daemon) logRunAgain(ctx context.Context, jp jobPeriod, streak []ledger.Run, interval time.Duration) {
	msg := "retry failed run"
	if len(streak) > 0 && streak[0].Status == ledger.RunHeld {
		msg = "re-check held run"
	}
	failed, held := streakCounts(streak)
	d.log().LogAttrs(ctx, slog.LevelInfo, msg, slog.String("job", jp.job.Name),
		slog.String("period", jp.period.Label()), slog.Int("failed_runs", failed), slog.Int("held_runs", held),
		slog.Duration("waited", backoff.Wait(interval, maxRetryWait, len(streak))))
}

// failureStreak returns the failed runs at the head of runs (the runs of one period,
// newest first, as ledger.PeriodRuns returns them), newest first: the period's
// failures since its latest run that did not fail. A run the data-quality gate
// held counts as failed: the period waits and is run again as after a failure,
// and the operators hear of it as of a failure. It is empty when the latest run
// succeeded or is still running.
func failureStreak(runs []ledger.Run) []ledger.Run {
	for i, r := range runs {
		if r.Status != ledger.RunFailed && r.Status != ledger.RunHeld {
			return runs[:i]
		}
	}
	return runs
}

// notified reports whether the operators got the failure notice of each run of
// streak (newest first, see failureStreak), as Service.Run decides it: the first
// failed run in a row is notified, then the next one that ended at least
// noticeEvery after the last notified one. A run that a stopped process left
// unfinished (interrupted) sends no notice. The ledger is the record, so the rule
// holds across restarts and replicas.
func notified(streak []ledger.Run) []bool {
	out := make([]bool, len(streak))
	var last time.Time
	for i := len(streak) - 1; i >= 0; i-- {
		r := streak[i]
		if r.Error == interruptedMsg {
			continue
		}
		if last.IsZero() || r.FinishedAt.Sub(last) >= noticeEvery {
			out[i], last = true, r.FinishedAt
		}
	}
	return out
}

// retryPeriods returns the periods the daemon's periodic resume runs again because
// their run failed or was held: for every job whose catch_up is not "none", its due
// period (duePeriod) when that is not done, its latest run failed or was held, and
// the wait after that (retryAt, counted in failed and held runs in a row) is over;
// then every held period of a configured job (heldPeriods), whatever its catch_up.
func (d *Daemon) retryPeriods(ctx context.Context) []jobPeriod {
	cfg := d.Service.Runner.Config
	interval := cfg.Delivery.ResumeInterval.Duration
	now := d.clock().Now()
	var out []jobPeriod
	seen := map[string]bool{}
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		if job.CatchUp == "none" || ctx.Err() != nil {
			continue
		}
		p, ok, err := d.retryDue(ctx, job, interval, now, seen)
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "retry failed run", slog.String("job", job.Name), slog.String("error", err.Error()))
			continue
		}
		if ok {
			out = append(out, jobPeriod{job, p})
		}
	}
	return append(out, d.heldPeriods(ctx, interval, now, seen)...)
}

// retryDue returns the due period of job and whether it is to be run again now: it
// is not done, its latest run failed or was held, and the wait after that is over
// (waitOver). It marks the due period in seen once decided.
func (d *Daemon) retryDue(ctx context.Context, job *config.Job, interval time.Duration, now time.Time, seen map[string]bool) (period.Period, bool, error) {
	p, ok, err := d.duePeriod(ctx, job, now)
	if err != nil || !ok {
		return p, false, err
	}
	jp := jobPeriod{job, p}
	streak, over, err := d.waitOver(ctx, jp, interval, now)
	if err != nil || len(streak) == 0 {
		return p, false, err // never run, running, or its latest run succeeded
	}
	seen[jp.key()] = true
	if _, done, err := d.Service.done(ctx, job, p, true); err != nil || done || !over {
		return p, false, err
	}
	d.logRunAgain(ctx, jp, streak, interval)
	return p, true, nil
}

// heldPeriods returns the periods of configured jobs that the data-quality gate
// held and that no run has sent since (ledger HeldPeriods), whoever ran them: the
// daemon's own runs, generate --send by hand, runs from before the daemon became
// responsible for the job, and jobs with catch_up = "none". Each waits as a failed
// period does (retryAt, counted in failed and held runs in a row). Periods in seen
// were decided already (retryDue); a period that has not ended (a held "to date"
// report) is left to the scheduled run after its end.
func (d *Daemon) heldPeriods(ctx context.Context, interval time.Duration, now time.Time, seen map[string]bool) []jobPeriod {
	cfg := d.Service.Runner.Config
	runs, err := d.Service.Ledger.HeldPeriods(ctx)
	if err != nil {
		d.log().LogAttrs(ctx, slog.LevelError, "re-check held runs", slog.String("error", err.Error()))
		return nil
	}
	var out []jobPeriod
	for _, r := range runs {
		if ctx.Err() != nil {
			return out
		}
		job, err := cfg.Job(r.Job)
		if err != nil {
			continue // a job removed from the config
		}
		kind, err := period.ParseKind(job.Period)
		if err != nil {
			continue
		}
		p, err := period.ParseKindLabel(kind, r.Period)
		if err != nil {
			continue // the job's period kind changed since
		}
		jp := jobPeriod{job, p}
		if seen[jp.key()] || d.Service.Runner.CheckPeriod(p, false) != nil {
			continue
		}
		seen[jp.key()] = true
		streak, over, err := d.waitOver(ctx, jp, interval, now)
		if err == nil && over && len(streak) > 0 {
			var done bool
			if _, done, err = d.Service.done(ctx, job, p, true); err == nil && !done {
				d.logRunAgain(ctx, jp, streak, interval)
				out = append(out, jp)
			}
		}
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "re-check held run", slog.String("job", job.Name),
				slog.String("period", p.Label()), slog.String("error", err.Error()))
		}
	}
	return out
}

// duePeriod returns the period of job's latest scheduled firing since the daemon
// became responsible for the job (ledger ScheduleSince): the last complete period
// at that firing. It returns false when the job has not fired since.
func (d *Daemon) duePeriod(ctx context.Context, job *config.Job, now time.Time) (period.Period, bool, error) {
	loc := d.Service.Runner.Config.Report.Location
	since, err := d.Service.Ledger.ScheduleSince(ctx, job.Name, now)
	if err != nil {
		return period.Period{}, false, err
	}
	fired, ok, err := lastFire(job.Schedule, loc, since, now)
	if err != nil || !ok {
		return period.Period{}, false, err
	}
	kind, err := period.ParseKind(job.Period)
	if err != nil {
		return period.Period{}, false, err
	}
	return period.LastComplete(kind, fired, loc), true, nil
}
