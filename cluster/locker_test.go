package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/redis/go-redis/v9"

	"github.com/kpireport/kpireport/cluster/clustertest"
)

// lockerKind is a kind of locker under test, with a way to make a replica's
// lock vanish as if its process had been killed.
type lockerKind struct {
	name string
	// replicas returns n lockers that share one server, as n replicas do.
	replicas func(t *testing.T, n int, opts ...Option) []gocron.Locker
	// crash drops a held lock the way a killed process does: without
	// Unlock.
	crash func(t *testing.T, l gocron.Lock)
	// freed is how long after a crash another replica can take the lock.
	freed time.Duration
}

const testLease = 600 * time.Millisecond

var lockerKinds = []lockerKind{
	{
		name: "postgres",
		replicas: func(t *testing.T, n int, opts ...Option) []gocron.Locker {
			dsn := clustertest.PostgresDSN(t)
			opts = append([]Option{WithKeyPrefix(clustertest.KeyPrefix(t))}, opts...)
			var ls []gocron.Locker
			for range n {
				l, err := NewPostgresLocker(t.Context(), dsn, opts...)
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
			}
			return ls
		},
		crash: func(t *testing.T, l gocron.Lock) {
			// The connection ends as it does when its process is killed.
			if err := closeConn(l.(*postgresLock).conn); err != nil {
				t.Fatal(err)
			}
		},
		freed: time.Second,
	},
	{
		name: "redis",
		replicas: func(t *testing.T, n int, opts ...Option) []gocron.Locker {
			addr, prefix := clustertest.Redis(t)
			opts = append([]Option{WithKeyPrefix(prefix), WithLease(testLease)}, opts...)
			var ls []gocron.Locker
			for range n {
				c := redis.NewClient(&redis.Options{Addr: addr})
				t.Cleanup(func() { c.Close() })
				l, err := NewRedisLocker(t.Context(), c, opts...)
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
			}
			return ls
		},
		crash: func(t *testing.T, l gocron.Lock) {
			// The renewals stop; the key stays until its lease ends.
			r := l.(*redisLock)
			r.once.Do(func() { close(r.stop) })
			<-r.done
		},
		freed: testLease + 500*time.Millisecond,
	},
}

func forEachLocker(t *testing.T, test func(t *testing.T, k lockerKind)) {
	for _, k := range lockerKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			test(t, k)
		})
	}
}

func TestLockIsExclusive(t *testing.T) {
	forEachLocker(t, func(t *testing.T, k lockerKind) {
		ctx := t.Context()
		ls := k.replicas(t, 3)
		a, err := ls[0].Lock(ctx, "monthly")
		if err != nil {
			t.Fatalf("first lock: %v", err)
		}
		for i, l := range ls[1:] {
			if _, err := l.Lock(ctx, "monthly"); !errors.Is(err, ErrLocked) {
				t.Errorf("replica %d: Lock = %v, want ErrLocked", i+1, err)
			} else if !strings.Contains(err.Error(), "monthly") {
				t.Errorf("error %q does not name the key", err)
			}
		}
		// Another job's lock is another lock.
		w, err := ls[1].Lock(ctx, "weekly")
		if err != nil {
			t.Fatalf("other key: %v", err)
		}
		// A lock held past its lease stays held: it is renewed.
		time.Sleep(2 * testLease)
		if _, err := ls[2].Lock(ctx, "monthly"); !errors.Is(err, ErrLocked) {
			t.Errorf("after the lease: Lock = %v, want ErrLocked (renewed)", err)
		}
		// Unlock works with a context that has ended, as gocron's may have.
		done, cancel := context.WithCancel(ctx)
		cancel()
		if err := a.Unlock(done); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		b, err := ls[2].Lock(ctx, "monthly")
		if err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
		for _, lk := range []gocron.Lock{b, w} {
			if err := lk.Unlock(ctx); err != nil {
				t.Errorf("Unlock: %v", err)
			}
		}
	})
}

// A replica that dies holding a lock holds it no longer than its connection
// (PostgreSQL) or lease (Redis); its late Unlock then frees nothing.
func TestLockOfDeadReplicaIsFreed(t *testing.T) {
	forEachLocker(t, func(t *testing.T, k lockerKind) {
		ctx := t.Context()
		ls := k.replicas(t, 2)
		a, err := ls[0].Lock(ctx, "monthly")
		if err != nil {
			t.Fatal(err)
		}
		k.crash(t, a)
		var b gocron.Lock
		deadline := time.Now().Add(k.freed + 5*time.Second)
		for {
			b, err = ls[1].Lock(ctx, "monthly")
			if err == nil {
				break
			}
			if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
				t.Fatalf("lock after the holder died: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if k.name == "redis" {
			if err := a.Unlock(ctx); !errors.Is(err, ErrLockLost) {
				t.Errorf("late Unlock of the dead lock = %v, want ErrLockLost", err)
			}
			if _, err := ls[0].Lock(ctx, "monthly"); !errors.Is(err, ErrLocked) {
				t.Errorf("the late Unlock released its successor's lock: Lock = %v", err)
			}
		}
		if err := b.Unlock(ctx); err != nil {
			t.Errorf("Unlock: %v", err)
		}
	})
}

// Key prefixes keep deployments that share a server apart.
func TestKeyPrefix(t *testing.T) {
	forEachLocker(t, func(t *testing.T, k lockerKind) {
		ctx := t.Context()
		a := k.replicas(t, 1, WithKeyPrefix("deployment-a:"+t.Name()))[0]
		b := k.replicas(t, 1, WithKeyPrefix("deployment-b:"+t.Name()))[0]
		la, err := a.Lock(ctx, "monthly")
		if err != nil {
			t.Fatal(err)
		}
		lb, err := b.Lock(ctx, "monthly")
		if err != nil {
			t.Fatalf("other deployment's lock: %v", err)
		}
		if err := errors.Join(la.Unlock(ctx), lb.Unlock(ctx)); err != nil {
			t.Error(err)
		}
	})
}

func TestOptions(t *testing.T) {
	for _, opt := range []Option{WithKeyPrefix(""), WithLease(0), WithLogger(nil)} {
		if _, err := newOptions([]Option{opt}); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("newOptions = %v, want ErrInvalidOption", err)
		}
	}
	o, err := newOptions(nil)
	if err != nil || o.prefix != DefaultKeyPrefix || o.lease != DefaultLease {
		t.Errorf("defaults = %+v, %v", o, err)
	}
}

// The DSN's password never shows in an error.
func TestPostgresLockerHidesPassword(t *testing.T) {
	const password = "s3cret-Pa55word"
	for _, dsn := range []string{
		"postgres://kpireport:" + password + "@127.0.0.1:1/test?connect_timeout=2",
		"postgres://kpireport:" + password + "@127.0.0.1:notaport/test",
	} {
		_, err := NewPostgresLocker(t.Context(), dsn)
		if err == nil || strings.Contains(err.Error(), password) {
			t.Errorf("NewPostgresLocker = %v, want an error without the password", err)
		}
	}
}
