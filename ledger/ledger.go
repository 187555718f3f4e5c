// Package ledger is the durable record of report runs and of every delivery
// made for them, kept in a SQLite file or, for several replicas that share it,
// in PostgreSQL.
//
// The ledger, not the scheduler, decides whether a period was already done
// and whether a recipient already has its report: deliveries are keyed by
// (job, period, recipient), one row each, reused across runs. Replicas that
// share a ledger claim a (job, period) before they run it (see Ledger.Claim).
//
// Times are stored as UTC text in a fixed-width RFC 3339 form
// (2006-01-02T15:04:05.000000000Z), which parses as RFC 3339 and sorts as text.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// busyTimeout is how long a connection waits for another writer's lock.
const busyTimeout = 5 * time.Second

// Ledger is an open ledger database. It is safe for concurrent use, also by
// several processes sharing the file or the PostgreSQL database.
type Ledger struct {
	db      *sql.DB
	dialect *dialect
	now     func() time.Time
}

// Open opens the ledger at path, creating the file and its folder if needed,
// and brings its schema up to date. The database runs in WAL mode with a busy
// timeout, so a second process waits for a lock instead of failing.
// Open returns ErrSchemaTooNew for a database written by a newer build.
func Open(ctx context.Context, path string) (*Ledger, error) {
	if path == "" {
		return nil, fmt.Errorf("ledger: open: %w: empty path", ErrInvalidValue)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("ledger: open %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Write transactions take the write lock when they begin, so two writers
	// queue on the busy timeout instead of deadlocking on a lock upgrade.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", path, err)
	}
	l := &Ledger{db: db, dialect: sqliteDialect, now: time.Now}
	if err := l.migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("ledger: open %s: %w", path, err), db.Close())
	}
	return l, nil
}

// maxPostgresConns caps the connections a ledger keeps to PostgreSQL.
const maxPostgresConns = 8

// OpenPostgres opens the ledger in the PostgreSQL database of dsn (a URL or
// key=value connection string; a search_path in it selects the schema) and
// brings its schema up to date, like Open. Replicas that share the database
// share the ledger. Errors never contain the DSN's password.
func OpenPostgres(ctx context.Context, dsn string) (*Ledger, error) {
	if dsn == "" {
		return nil, fmt.Errorf("ledger: open postgres: %w: empty DSN", ErrInvalidValue)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger: open postgres: %w", err)
	}
	db.SetMaxOpenConns(maxPostgresConns)
	db.SetMaxIdleConns(maxPostgresConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	l := &Ledger{db: db, dialect: postgresDialect, now: time.Now}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("ledger: open postgres: %w", err), db.Close())
	}
	if err := l.migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("ledger: open postgres: %w", err), db.Close())
	}
	return l, nil
}

// SetClock makes the ledger take the times it records itself (the start and
// end of a run, the last change of a delivery) from now instead of time.Now,
// so that a daemon on a fake clock and its ledger agree on the time. Call it
// before the ledger is used by more than one goroutine.
func (l *Ledger) SetClock(now func() time.Time) { l.now = now }

// Driver returns the database the ledger is kept in: "sqlite" or "postgres".
func (l *Ledger) Driver() string { return l.dialect.name }

// Close closes the database.
func (l *Ledger) Close() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("ledger: close: %w", err)
	}
	return nil
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so that stored
// times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime returns t as stored text; the zero time is stored as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// inTx runs fn in a write transaction and commits it when fn succeeds.
func (l *Ledger) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

// ignoreDone drops the error a rollback gives after the context ended the
// transaction already.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
