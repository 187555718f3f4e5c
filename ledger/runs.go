package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Trigger says why a run started.
type Trigger string

// The triggers of a run.
const (
	TriggerScheduled Trigger = "scheduled" // the schedule fired
	TriggerCatchUp   Trigger = "catch-up"  // a period missed while the daemon was down
	TriggerManual    Trigger = "manual"    // a person asked for it
)

// Valid reports whether t is one of the known triggers.
func (t Trigger) Valid() bool {
	switch t {
	case TriggerScheduled, TriggerCatchUp, TriggerManual:
		return true
	}
	return false
}

// RunStatus is the state of a run.
type RunStatus string

// The states of a run.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	// RunHeld is a run whose report rendered but was not mailed: the data-quality
	// gate found the data incomplete (Error holds the reasons). The period is not
	// done; the daemon runs it again as it does a failed one.
	RunHeld RunStatus = "held"
)

// Valid reports whether s is one of the known run states.
func (s RunStatus) Valid() bool {
	switch s {
	case RunRunning, RunSucceeded, RunFailed, RunHeld:
		return true
	}
	return false
}

// Run is one attempt at producing a job's report for a period.
type Run struct {
	ID         int64
	Job        string
	Period     string
	Trigger    Trigger
	Attempt    int // 1 for the first run of (Job, Period), then 2, 3, ...
	Status     RunStatus
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Error      string
	Artifacts  []Artifact
	RunFlags
}

// RunFlags say what a run covered beyond its status.
type RunFlags struct {
	// Incomplete: the period had not ended when the run started; its report
	// is "to date", and the run never makes the period done.
	Incomplete bool
	// Forced: the data-quality gate held the report and it was sent anyway.
	Forced bool
}

// Artifact is a file a run produced.
type Artifact struct {
	Path   string
	SHA256 string // hex
	Bytes  int64
}

// StartRun records a new running run of job for period. Its Attempt is the
// number of earlier runs of (job, period) plus one.
func (l *Ledger) StartRun(ctx context.Context, job, period string, trigger Trigger) (Run, error) {
	wrap := func(err error) error { return fmt.Errorf("ledger: start run %s %s: %w", job, period, err) }
	if job == "" || period == "" {
		return Run{}, wrap(fmt.Errorf("%w: job and period must not be empty", ErrInvalidValue))
	}
	if !trigger.Valid() {
		return Run{}, wrap(fmt.Errorf("%w: trigger %q", ErrInvalidValue, trigger))
	}
	r := Run{Job: job, Period: period, Trigger: trigger, Status: RunRunning, StartedAt: l.now().UTC()}
	// One statement in a transaction serialized on (job, period), so that the
	// attempt number and the insert cannot interleave with another writer.
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.serialize(ctx, tx, "run "+job+" "+period); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, l.q(`
INSERT INTO runs (job, period, trigger, attempt, status, started_at)
SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), COALESCE(MAX(attempt), 0) + 1, CAST(? AS TEXT), CAST(? AS TEXT)
FROM runs WHERE job = ? AND period = ?
RETURNING id, attempt`),
			job, period, string(trigger), string(RunRunning), formatTime(r.StartedAt), job, period,
		).Scan(&r.ID, &r.Attempt)
	})
	if err != nil {
		return Run{}, wrap(err)
	}
	return r, nil
}

// FinishRun records the end of a running run: its final status (succeeded,
// failed or held), the error message of a failed run or the reasons of a held
// one, and the files it produced.
func (l *Ledger) FinishRun(ctx context.Context, runID int64, status RunStatus, errMsg string, artifacts []Artifact) error {
	wrap := func(err error) error { return fmt.Errorf("ledger: finish run %d: %w", runID, err) }
	if status != RunSucceeded && status != RunFailed && status != RunHeld {
		return wrap(fmt.Errorf("%w: final status %q", ErrInvalidValue, status))
	}
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		var current string
		switch err := tx.QueryRowContext(ctx, l.q(`SELECT status FROM runs WHERE id = ?`+l.dialect.forUpdate), runID).Scan(&current); {
		case errors.Is(err, sql.ErrNoRows):
			return ErrRunNotFound
		case err != nil:
			return err
		case RunStatus(current) != RunRunning:
			return fmt.Errorf("%w: status is %s", ErrRunFinished, current)
		}
		if _, err := tx.ExecContext(ctx, l.q(`UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?`),
			string(status), errMsg, formatTime(l.now()), runID); err != nil {
			return err
		}
		for i, a := range artifacts {
			if _, err := tx.ExecContext(ctx, l.q(`INSERT INTO artifacts (run_id, seq, path, sha256, bytes) VALUES (?, ?, ?, ?, ?)`),
				runID, i, a.Path, a.SHA256, a.Bytes); err != nil {
				return fmt.Errorf("artifact %s: %w", a.Path, err)
			}
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// SetRunFlags records what a run covers (RunFlags).
func (l *Ledger) SetRunFlags(ctx context.Context, runID int64, f RunFlags) error {
	res, err := l.db.ExecContext(ctx, l.q(`UPDATE runs SET incomplete = ?, forced = ? WHERE id = ?`),
		boolInt(f.Incomplete), boolInt(f.Forced), runID)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = ErrRunNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("ledger: flag run %d: %w", runID, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LastSuccess returns the latest succeeded run of job for period that covered
// the whole period (not Incomplete), and false if there is none.
func (l *Ledger) LastSuccess(ctx context.Context, job, period string) (Run, bool, error) {
	runs, err := l.queryRuns(ctx, `WHERE job = ? AND period = ? AND status = ? AND incomplete = 0 ORDER BY id DESC LIMIT 1`,
		job, period, string(RunSucceeded))
	if err != nil {
		return Run{}, false, fmt.Errorf("ledger: last success %s %s: %w", job, period, err)
	}
	if len(runs) == 0 {
		return Run{}, false, nil
	}
	return runs[0], true, nil
}

// Runs returns up to limit runs of job, newest first; job "" means every
// job and limit <= 0 means no limit.
func (l *Ledger) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	n := int64(limit)
	if limit <= 0 {
		n = math.MaxInt64
	}
	runs, err := l.queryRuns(ctx, `WHERE (CAST(? AS TEXT) = '' OR job = ?) ORDER BY id DESC LIMIT ?`, job, job, n)
	if err != nil {
		return nil, fmt.Errorf("ledger: runs %q: %w", job, err)
	}
	return runs, nil
}

// PeriodRuns returns every run of job for period, newest first: the history
// of one (job, period), from which the daemon decides when to try a failed
// period again and whether the operators heard of its failures.
func (l *Ledger) PeriodRuns(ctx context.Context, job, period string) ([]Run, error) {
	runs, err := l.queryRuns(ctx, `WHERE job = ? AND period = ? ORDER BY id DESC`, job, period)
	if err != nil {
		return nil, fmt.Errorf("ledger: runs %s %s: %w", job, period, err)
	}
	return runs, nil
}

// HeldPeriods returns, oldest first, the latest run of every (job, period)
// whose runs include a held one and whose latest run was held or failed: the
// periods the data-quality gate kept back that no run has sent since, whoever
// ran them (the daemon, or generate --send by hand). The daemon checks their
// data again on its periodic resume.
func (l *Ledger) HeldPeriods(ctx context.Context) ([]Run, error) {
	runs, err := l.queryRuns(ctx, `WHERE status IN (?, ?)
		AND id IN (SELECT MAX(id) FROM runs GROUP BY job, period)
		AND EXISTS (SELECT 1 FROM runs h WHERE h.job = runs.job AND h.period = runs.period AND h.status = ?)
		ORDER BY id`, string(RunHeld), string(RunFailed), string(RunHeld))
	if err != nil {
		return nil, fmt.Errorf("ledger: held periods: %w", err)
	}
	return runs, nil
}

// Running returns the runs that are still running, oldest first: in
// progress, or left so by a process that stopped.
func (l *Ledger) Running(ctx context.Context) ([]Run, error) {
	runs, err := l.queryRuns(ctx, `WHERE status = ? ORDER BY id`, string(RunRunning))
	if err != nil {
		return nil, fmt.Errorf("ledger: running runs: %w", err)
	}
	return runs, nil
}

// queryRuns selects runs with the given WHERE/ORDER/LIMIT clause and loads
// their artifacts.
func (l *Ledger) queryRuns(ctx context.Context, clause string, args ...any) ([]Run, error) {
	rows, err := l.db.QueryContext(ctx, l.q(`SELECT id, job, period, trigger, attempt, status, started_at, finished_at, error, incomplete, forced FROM runs `+clause), args...)
	if err != nil {
		return nil, err
	}
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		runs = append(runs, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	for i := range runs {
		if runs[i].Artifacts, err = l.artifacts(ctx, runs[i].ID); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

func scanRun(s rowScanner) (Run, error) {
	var (
		r                   Run
		trigger, status     string
		started, finished   string
		startErr, finishErr error
		incomplete, forced  int
	)
	if err := s.Scan(&r.ID, &r.Job, &r.Period, &trigger, &r.Attempt, &status, &started, &finished, &r.Error, &incomplete, &forced); err != nil {
		return Run{}, err
	}
	r.Incomplete, r.Forced = incomplete != 0, forced != 0
	r.Trigger, r.Status = Trigger(trigger), RunStatus(status)
	r.StartedAt, startErr = parseTime(started)
	r.FinishedAt, finishErr = parseTime(finished)
	if err := errors.Join(startErr, finishErr); err != nil {
		return Run{}, fmt.Errorf("run %d: %w", r.ID, err)
	}
	return r, nil
}

func (l *Ledger) artifacts(ctx context.Context, runID int64) ([]Artifact, error) {
	rows, err := l.db.QueryContext(ctx, l.q(`SELECT path, sha256, bytes FROM artifacts WHERE run_id = ? ORDER BY seq`), runID)
	if err != nil {
		return nil, fmt.Errorf("artifacts of run %d: %w", runID, err)
	}
	var as []Artifact
	for rows.Next() {
		var a Artifact
		if err := rows.Scan(&a.Path, &a.SHA256, &a.Bytes); err != nil {
			return nil, errors.Join(fmt.Errorf("artifacts of run %d: %w", runID, err), rows.Close())
		}
		as = append(as, a)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("artifacts of run %d: %w", runID, err)
	}
	return as, nil
}
