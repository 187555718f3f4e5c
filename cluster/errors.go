package cluster

import "errors"

var (
	// ErrLocked is returned by Lock when another replica holds the lock.
	ErrLocked = errors.New("cluster: locked by another replica")
	// ErrLockLost is returned by Unlock when the lock was no longer held: a
	// Redis lock that expired or was taken, an advisory lock whose
	// connection was lost.
	ErrLockLost = errors.New("cluster: lock was lost while held")
	// ErrInvalidOption is returned for an option value that cannot work.
	ErrInvalidOption = errors.New("cluster: invalid option")
)
