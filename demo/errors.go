package demo

import "errors"

// ErrInvalidOptions is returned, wrapped with the offending field and value,
// when Generate is given options it cannot use.
var ErrInvalidOptions = errors.New("demo: invalid options")

// ErrNotDemo is what errors.Is finds in the error of Generate when it would replace a
// config or data file that kpireport demo did not write and Options.Force is not set;
// the error's message names the file and --force.
var ErrNotDemo = errors.New("demo: not written by kpireport demo")
