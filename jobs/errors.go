package jobs

import "errors"

// Sentinel errors of package jobs.
var (
	// ErrClaimed is returned by a manual Run of a period another node is running.
	ErrClaimed = errors.New("jobs: period is being run by another node")
	// ErrClaimLost is the cause of a run cancelled because its claim was lost.
	ErrClaimLost = errors.New("jobs: claim on the period was lost")
	// ErrNoExplain is returned by Runner.Explain for a source that runs no SQL
	// aggregation.
	ErrNoExplain = errors.New("jobs: nothing to explain")
)

// Errors of periods that cannot be reported on yet (Runner.CheckPeriod).
var (
	// ErrIncomplete: the period has not ended; a report of it is "to date" and
	// needs RunOptions.AllowIncomplete (--allow-incomplete).
	ErrIncomplete = errors.New("jobs: period has not ended")
	// ErrFuture: the period has not started; there is nothing to report.
	ErrFuture = errors.New("jobs: period has not started")
)
