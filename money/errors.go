package money

import "errors"

// Sentinel errors of package money.
var (
	ErrSyntax    = errors.New("money: not a decimal")
	ErrPrecision = errors.New("money: too many fraction digits")
	ErrRange     = errors.New("money: amount out of range")
)
