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
