package kpi

import "errors"

// Sentinel errors of package kpi.
var (
	ErrMissingWindow = errors.New("kpi: source returned no measures for a window of the plan")
)
