// Package panics turns a recovered panic into an error, so that a bug or an input
// that makes a library panic fails the one run it happens in instead of the process.
package panics

import (
	"fmt"
	"runtime/debug"
)

// Error is a recovered panic. Its message is "panic: " and the panic's value; Stack
// is where it happened, for the debug log only (it is long and names source files).
type Error struct {
	Value any
	Stack []byte
}

// Error returns "panic: " and the panic's value.
func (e *Error) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic's value when it is an error (a runtime.Error, say).
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// New returns the *Error of v, a non-nil value that recover returned, with the stack
// of the calling goroutine. Call it in the deferred function that recovered, so that
// the stack still holds the frames that panicked.
func New(v any) *Error {
	return &Error{Value: v, Stack: debug.Stack()}
}

// Recover is deferred to turn a panic of the calling function into *err:
//
//	defer panics.Recover(&err)
//
// It joins the panic to an error *err already holds.
func Recover(err *error) {
	if v := recover(); v != nil {
		*err = join(*err, New(v))
	}
}

func join(err error, p *Error) error {
	if err == nil {
		return p
	}
	return fmt.Errorf("%w; %w", err, p)
}
