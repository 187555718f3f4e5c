package config

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalid is wrapped by every *ValidationError: the file was read and
	// decoded, but one or more settings are not acceptable.
	ErrInvalid = errors.New("config: invalid configuration")
	// ErrDecode is wrapped by every *DecodeError: the file is not valid TOML,
	// or a value has the wrong type for its key.
	ErrDecode = errors.New("config: cannot decode TOML")
	// ErrUnknownJob is returned by Config.Job for a name no [[jobs]] entry has.
	ErrUnknownJob = errors.New("config: unknown job")
)

// Problem is one thing wrong with a configuration: the key path of the
// setting (report.timezone, source.tables.orders, jobs[monthly].schedule,
// jobs[2].name) and what is wrong with it.
type Problem struct {
	Key     string
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// ValidationError lists every problem found in a configuration file, so that
// a user can fix them all in one go. It wraps ErrInvalid.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error returns one line per problem, each "<file>: <key>: <message>".
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		b.WriteString(": ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// DecodeError is bad TOML syntax or a value of the wrong type, with the line
// it was found on (0 when the decoder did not say). It wraps ErrDecode and the
// decoder's own error, such as a toml.ParseError.
type DecodeError struct {
	File    string
	Line    int
	Key     string // the last key read before the error, may be empty
	Message string
	Err     error
}

// Error returns "<file> line <n>: <message>".
func (e *DecodeError) Error() string {
	msg := e.Message
	if e.Key != "" {
		msg = e.Key + ": " + msg
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s: %s", e.File, msg)
}

// Unwrap returns ErrDecode and the decoder's error.
func (e *DecodeError) Unwrap() []error { return []error{ErrDecode, e.Err} }
