package dedup

import "errors"

// ErrClosed is returned by Repeated on a set that was closed.
var ErrClosed = errors.New("dedup: set is closed")
