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

// waitOver returns jp's failed runs in a row (failureStreak) and whether the wait
// after them (retryAt) is over at now.
func (d *Daemon) waitOver(ctx context.Context, jp jobPeriod, interval time.Duration, now time.Time) (failed int, over bool, err error) {
	runs, err := d.Service.Ledger.PeriodRuns(ctx, jp.job.Name, jp.period.Label())
	if err != nil {
		return 0, false, err
	}
	streak := failureStreak(runs)
	if at := retryAt(streak, interval); now.Before(at) {
		d.log().LogAttrs(ctx, slog.LevelDebug, "run again later", slog.String("job", jp.job.Name),
			slog.String("period", jp.period.Label()), slog.Int("failed_runs", len(streak)), slog.Time("at", at))
		return len(streak), false, nil
	}
	return len(streak), true, nil
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
// their run failed: for every job whose catch_up is not "none", its due period
// (duePeriod) when that is not done, its latest run failed, and the wait after that
// failure (retryAt, counted in failed runs in a row) is over.
func (d *Daemon) retryPeriods(ctx context.Context) []jobPeriod {
	cfg := d.Service.Runner.Config
	interval := cfg.Delivery.ResumeInterval.Duration
	now := d.clock().Now()
	var out []jobPeriod
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		if job.CatchUp == "none" || ctx.Err() != nil {
			continue
		}
		p, ok, err := d.retryDue(ctx, job, interval, now)
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "retry failed run", slog.String("job", job.Name), slog.String("error", err.Error()))
			continue
		}
		if ok {
			out = append(out, jobPeriod{job, p})
		}
	}
	return out
}

// retryDue returns the due period of job and whether it is to be run again now: it
// is not done, its latest run failed, and the wait after that is over (waitOver).
func (d *Daemon) retryDue(ctx context.Context, job *config.Job, interval time.Duration, now time.Time) (period.Period, bool, error) {
	p, ok, err := d.duePeriod(ctx, job, now)
	if err != nil || !ok {
		return p, false, err
	}
	failed, over, err := d.waitOver(ctx, jobPeriod{job, p}, interval, now)
	if err != nil || failed == 0 {
		return p, false, err // never run, running, or its latest run succeeded
	}
	if _, done, err := d.Service.done(ctx, job, p, true); err != nil || done || !over {
		return p, false, err
	}
	d.log().LogAttrs(ctx, slog.LevelInfo, "retry failed run", slog.String("job", job.Name),
		slog.String("period", p.Label()), slog.Int("failed_runs", failed),
		slog.Duration("waited", backoff.Wait(interval, maxRetryWait, failed)))
	return p, true, nil
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
