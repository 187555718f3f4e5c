// Package cluster lets several replicas of the kpireport daemon share one
// schedule: distributed locks for gocron (gocron.WithDistributedLocker), so
// that normally one replica runs each firing of a job.
//
// A lock is an optimisation, not the guarantee. gocron's locker can let a fast
// job run twice when the replicas' clocks differ (gocron issue #841), a Redis
// lock can expire during a long render, and an advisory lock goes with its
// connection. What makes a report go out once is the claim each replica
// takes on the (job, period) in the shared ledger (ledger.Ledger.Claim) and
// the per-recipient delivery rows.
//
// The lock key is the job's name (gocron's WithName) after a prefix, so that
// deployments that share a server can keep their locks apart.
package cluster

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults of the options.
const (
	DefaultKeyPrefix = "kpireport:"
	DefaultLease     = 2 * time.Minute
)

// Option configures a locker.
type Option func(*options) error

type options struct {
	prefix string
	lease  time.Duration
	logger *slog.Logger
}

func newOptions(opts []Option) (options, error) {
	o := options{prefix: DefaultKeyPrefix, lease: DefaultLease, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	return o, nil
}

// WithKeyPrefix puts prefix before every lock key. Default: "kpireport:".
func WithKeyPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" {
			return fmt.Errorf("%w: empty key prefix", ErrInvalidOption)
		}
		o.prefix = prefix
		return nil
	}
}

// WithLease sets how long a Redis lock lasts unless renewed; a held lock is
// renewed every third of it until it is unlocked, so that it outlasts a long
// run but frees itself soon after its holder died. A PostgreSQL advisory
// lock has no lease: it lasts as long as its connection. Default: 2m.
func WithLease(d time.Duration) Option {
	return func(o *options) error {
		if d < 3*time.Millisecond {
			return fmt.Errorf("%w: lease %v", ErrInvalidOption, d)
		}
		o.lease = d
		return nil
	}
}

// WithLogger logs what a locker does that nobody asked for: a lock that was
// lost while held. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		o.logger = l
		return nil
	}
}
