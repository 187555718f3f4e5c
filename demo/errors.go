package demo

import "errors"

// ErrInvalidOptions is returned, wrapped with the offending field and value,
// when Generate is given options it cannot use.
var ErrInvalidOptions = errors.New("demo: invalid options")
