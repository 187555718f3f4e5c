package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Claim is a replica's hold on one period of one job: while it lasts, the
// other replicas that share the ledger leave that period alone. A claim that
// is not renewed expires, so that another replica can take over from one
// that died.
type Claim struct {
	Job       string
	Period    string
	Node      string    // the replica holding it
	ExpiresAt time.Time // UTC
}

// Claim takes (job, period) for node until now+lease, in one atomic
// statement: it succeeds if nobody holds it, if the claim expired, or if node
// already holds it (the lease is then extended). ok is false when another
// node holds an unexpired claim; ClaimOf tells which.
//
// The ledger does not read a clock for claims: now is the caller's, so that
// the replicas' clocks must agree to well within a lease.
func (l *Ledger) Claim(ctx context.Context, job, period, node string, lease time.Duration, now time.Time) (ok bool, err error) {
	wrap := func(err error) error { return fmt.Errorf("ledger: claim %s %s for %s: %w", job, period, node, err) }
	if err := checkClaim(job, period, node, lease); err != nil {
		return false, wrap(err)
	}
	res, err := l.db.ExecContext(ctx, l.q(`
INSERT INTO claims (job, period, node, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (job, period) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
WHERE claims.node = excluded.node OR claims.expires_at <= ?`),
		job, period, node, formatTime(now.Add(lease)), formatTime(now))
	if err != nil {
		return false, wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(err)
	}
	return n == 1, nil
}

// Renew extends node's claim on (job, period) to now+lease. ok is false when
// node no longer holds it: another node claimed it after it expired, or it
// was released.
func (l *Ledger) Renew(ctx context.Context, job, period, node string, lease time.Duration, now time.Time) (ok bool, err error) {
	wrap := func(err error) error {
		return fmt.Errorf("ledger: renew claim %s %s for %s: %w", job, period, node, err)
	}
	if err := checkClaim(job, period, node, lease); err != nil {
		return false, wrap(err)
	}
	res, err := l.db.ExecContext(ctx, l.q(`UPDATE claims SET expires_at = ? WHERE job = ? AND period = ? AND node = ?`),
		formatTime(now.Add(lease)), job, period, node)
	if err != nil {
		return false, wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(err)
	}
	return n == 1, nil
}

// Release gives up node's claim on (job, period), if it still holds it.
func (l *Ledger) Release(ctx context.Context, job, period, node string) error {
	if _, err := l.db.ExecContext(ctx, l.q(`DELETE FROM claims WHERE job = ? AND period = ? AND node = ?`),
		job, period, node); err != nil {
		return fmt.Errorf("ledger: release claim %s %s for %s: %w", job, period, node, err)
	}
	return nil
}

// ClaimOf returns the claim on (job, period), expired or not, and false if
// there is none.
func (l *Ledger) ClaimOf(ctx context.Context, job, period string) (Claim, bool, error) {
	c := Claim{Job: job, Period: period}
	var expires string
	err := l.db.QueryRowContext(ctx, l.q(`SELECT node, expires_at FROM claims WHERE job = ? AND period = ?`), job, period).
		Scan(&c.Node, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Claim{}, false, nil
	case err != nil:
		return Claim{}, false, fmt.Errorf("ledger: read claim %s %s: %w", job, period, err)
	}
	if c.ExpiresAt, err = parseTime(expires); err != nil {
		return Claim{}, false, fmt.Errorf("ledger: read claim %s %s: %w", job, period, err)
	}
	return c, true, nil
}

func checkClaim(job, period, node string, lease time.Duration) error {
	switch {
	case job == "" || period == "" || node == "":
		return fmt.Errorf("%w: job, period and node must not be empty", ErrInvalidValue)
	case lease <= 0:
		return fmt.Errorf("%w: lease %v", ErrInvalidValue, lease)
	}
	return nil
}

// TakeOver moves the claim on (job, period) from node from to node to, until
// now+lease, whether or not it expired: for a holder known to be dead (a
// process of this machine that no longer exists). ok is false when from no
// longer holds it.
func (l *Ledger) TakeOver(ctx context.Context, job, period, from, to string, lease time.Duration, now time.Time) (ok bool, err error) {
	wrap := func(err error) error {
		return fmt.Errorf("ledger: take over claim %s %s from %s for %s: %w", job, period, from, to, err)
	}
	if err := checkClaim(job, period, to, lease); err != nil {
		return false, wrap(err)
	}
	res, err := l.db.ExecContext(ctx, l.q(`UPDATE claims SET node = ?, expires_at = ? WHERE job = ? AND period = ? AND node = ?`),
		to, formatTime(now.Add(lease)), job, period, from)
	if err != nil {
		return false, wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(err)
	}
	return n == 1, nil
}
