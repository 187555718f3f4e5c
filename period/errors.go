package period

import "errors"

// Sentinel errors of package period.
var (
	ErrKind  = errors.New("period: unknown period kind")
	ErrLabel = errors.New("period: bad period label")
	ErrValue = errors.New("period: not a date or timestamp")
)
