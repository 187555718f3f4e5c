package ledger

import "errors"

var (
	// ErrSchemaTooNew is returned by Open when the database was written by a
	// newer kpireport that knows migrations this build does not.
	ErrSchemaTooNew = errors.New("ledger: schema version is newer than this build knows")
	// ErrRunNotFound is returned when a run ID does not exist.
	ErrRunNotFound = errors.New("ledger: run not found")
	// ErrRunFinished is returned by FinishRun for a run that is no longer running.
	ErrRunFinished = errors.New("ledger: run already finished")
	// ErrDeliveryNotFound is returned when a delivery ID does not exist.
	ErrDeliveryNotFound = errors.New("ledger: delivery not found")
	// ErrAlreadySent is returned by MarkAttempt for a delivery that is already
	// sent: a sent delivery is never downgraded; ResetDelivery it first.
	ErrAlreadySent = errors.New("ledger: delivery already sent")
	// ErrInvalidValue is returned for an unknown trigger, run status, delivery
	// status or recipient kind, or an empty job or period.
	ErrInvalidValue = errors.New("ledger: invalid value")
)
