package ledger

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestClaim(t *testing.T) {
	forEachBackend(t, testClaim)
}

func testClaim(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	const lease = 2 * time.Minute
	steps := []struct {
		name   string
		op     func() (bool, error)
		wantOK bool
		holder string // the node ClaimOf reports after the step; "" = none
	}{
		{"a claims a free period", func() (bool, error) { return l.Claim(ctx, "monthly", "2026-10", "a", lease, t0) }, true, "a"},
		{"b cannot while a's lease runs", func() (bool, error) {
			return l.Claim(ctx, "monthly", "2026-10", "b", lease, t0.Add(lease-time.Nanosecond))
		}, false, "a"},
		{"a claims again: it is already a's", func() (bool, error) { return l.Claim(ctx, "monthly", "2026-10", "a", lease, t0.Add(time.Minute)) }, true, "a"},
		{"a renews", func() (bool, error) { return l.Renew(ctx, "monthly", "2026-10", "a", lease, t0.Add(2*time.Minute)) }, true, "a"},
		{"b cannot before the renewed lease ends", func() (bool, error) {
			return l.Claim(ctx, "monthly", "2026-10", "b", lease, t0.Add(3*time.Minute))
		}, false, "a"},
		{"b takes over the expired claim", func() (bool, error) {
			return l.Claim(ctx, "monthly", "2026-10", "b", lease, t0.Add(4*time.Minute))
		}, true, "b"},
		{"a has lost it: renewal fails", func() (bool, error) { return l.Renew(ctx, "monthly", "2026-10", "a", lease, t0.Add(5*time.Minute)) }, false, "b"},
		{"a's release leaves b's claim", func() (bool, error) { return true, l.Release(ctx, "monthly", "2026-10", "a") }, true, "b"},
		{"another period is free", func() (bool, error) { return l.Claim(ctx, "monthly", "2026-09", "a", lease, t0.Add(5*time.Minute)) }, true, "b"},
		{"b releases", func() (bool, error) { return true, l.Release(ctx, "monthly", "2026-10", "b") }, true, ""},
		{"renewing a released claim fails", func() (bool, error) { return l.Renew(ctx, "monthly", "2026-10", "b", lease, t0.Add(6*time.Minute)) }, false, ""},
		{"a claims the released period", func() (bool, error) { return l.Claim(ctx, "monthly", "2026-10", "a", lease, t0.Add(6*time.Minute)) }, true, "a"},
	}
	for _, st := range steps {
		ok, err := st.op()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if ok != st.wantOK {
			t.Errorf("%s: ok = %v, want %v", st.name, ok, st.wantOK)
		}
		c, held, err := l.ClaimOf(ctx, "monthly", "2026-10")
		if err != nil {
			t.Fatalf("%s: ClaimOf: %v", st.name, err)
		}
		if got := map[bool]string{true: c.Node}[held]; got != st.holder {
			t.Errorf("%s: holder = %q, want %q", st.name, got, st.holder)
		}
	}
	c, _, err := l.ClaimOf(ctx, "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(6 * time.Minute).Add(lease).UTC(); !c.ExpiresAt.Equal(want) || c.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt = %v, want %v in UTC", c.ExpiresAt, want)
	}

	bad := []struct {
		name              string
		job, period, node string
		lease             time.Duration
	}{
		{"empty job", "", "2026-10", "a", lease},
		{"empty node", "monthly", "2026-10", "", lease},
		{"no lease", "monthly", "2026-10", "a", 0},
	}
	for _, tt := range bad {
		if _, err := l.Claim(ctx, tt.job, tt.period, tt.node, tt.lease, t0); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Claim with %s: %v, want ErrInvalidValue", tt.name, err)
		}
		if _, err := l.Renew(ctx, tt.job, tt.period, tt.node, tt.lease, t0); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Renew with %s: %v, want ErrInvalidValue", tt.name, err)
		}
	}
}

// Of many replicas claiming one period at the same moment, exactly one gets
// it; after it expires, exactly one of them takes it over.
func TestClaimConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		db := be.newDB(t)
		handles := []*Ledger{openTest(t, be, db), openTest(t, be, db), openTest(t, be, db)}
		const perHandle = 5
		round := func(now time.Time) []string {
			var (
				mu  sync.Mutex
				won []string
				wg  sync.WaitGroup
			)
			for h, l := range handles {
				for i := range perHandle {
					node := string(rune('a'+h)) + string(rune('0'+i))
					wg.Go(func() {
						ok, err := l.Claim(t.Context(), "monthly", "2026-10", node, time.Minute, now)
						if err != nil {
							t.Error(err)
						}
						if ok {
							mu.Lock()
							won = append(won, node)
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			return won
		}
		if won := round(t0); len(won) != 1 {
			t.Errorf("claimed by %v, want exactly one node", won)
		}
		if won := round(t0.Add(30 * time.Second)); len(won) > 1 {
			// The winner of the first round may claim again; nobody else.
			t.Errorf("claimed by %v during the lease, want at most the holder", won)
		}
		if won := round(t0.Add(2 * time.Minute)); len(won) != 1 {
			t.Errorf("expired claim taken by %v, want exactly one node", won)
		}
	})
}
