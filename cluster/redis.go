package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/redis/go-redis/v9"
)

// RedisLocker is a gocron.Locker on Redis: SET key token NX PX lease, renewed
// every third of the lease while held, and released with a script that
// deletes the key only if it still holds this lock's token, so that an
// expired lock never releases its successor's.
type RedisLocker struct {
	client redis.UniversalClient
	opts   options
}

var _ gocron.Locker = (*RedisLocker)(nil)

// NewRedisLocker returns a locker on client and checks that the server
// answers. The caller keeps owning client.
func NewRedisLocker(ctx context.Context, client redis.UniversalClient, opts ...Option) (*RedisLocker, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("cluster: redis locker: %w", err)
	}
	return &RedisLocker{client: client, opts: o}, nil
}

var (
	// release deletes the key if it holds the token.
	release = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	// extend resets the key's expiry if it holds the token.
	extend = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// Lock sets key to a new random token if it is not set, or returns an error
// wrapping ErrLocked.
func (l *RedisLocker) Lock(ctx context.Context, key string) (gocron.Lock, error) {
	full := l.opts.prefix + key
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("cluster: lock %s: %w", full, err)
	}
	token := hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	ok, err := l.client.SetNX(ctx, full, token, l.opts.lease).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster: lock %s: %w", full, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrLocked, full)
	}
	lk := &redisLock{l: l, key: full, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go lk.renew()
	return lk, nil
}

type redisLock struct {
	l     *RedisLocker
	key   string
	token string

	once sync.Once
	stop chan struct{} // closed by Unlock
	done chan struct{} // closed when renew returns

	mu   sync.Mutex
	lost bool
}

// renew extends the lock every third of the lease until Unlock, or until it
// finds the lock gone.
func (r *redisLock) renew() {
	defer close(r.done)
	lease := r.l.opts.lease
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), lease/3)
		n, err := extend.Run(ctx, r.l.client, []string{r.key}, r.token, lease.Milliseconds()).Int()
		cancel()
		switch {
		case err != nil:
			// Try again at the next tick; the lease still runs.
			r.l.opts.logger.Warn("cannot renew lock", slog.String("key", r.key), slog.String("error", err.Error()))
		case n == 0:
			r.l.opts.logger.Warn("lock lost: it expired or was taken", slog.String("key", r.key))
			r.mu.Lock()
			r.lost = true
			r.mu.Unlock()
			return
		}
	}
}

// Unlock stops renewing the lock and deletes its key if it still holds this
// lock's token; otherwise it returns an error wrapping ErrLockLost.
func (r *redisLock) Unlock(ctx context.Context) error {
	r.once.Do(func() { close(r.stop) })
	<-r.done
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	n, err := release.Run(ctx, r.l.client, []string{r.key}, r.token).Int()
	if err != nil {
		return fmt.Errorf("cluster: unlock %s: %w", r.key, err)
	}
	r.mu.Lock()
	lost := r.lost
	r.mu.Unlock()
	if n == 0 || lost {
		return fmt.Errorf("cluster: unlock %s: %w", r.key, ErrLockLost)
	}
	return nil
}
