package ledger

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema changes in order; migrations[i] brings the
// schema to version i+1. Append only: never edit a migration that shipped.
var migrations = []string{
	// 1: runs, their artifacts, and one delivery row per (job, period, recipient).
	`
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	job         TEXT    NOT NULL,
	period      TEXT    NOT NULL,
	trigger     TEXT    NOT NULL CHECK (trigger IN ('scheduled', 'catch-up', 'manual')),
	attempt     INTEGER NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
	started_at  TEXT    NOT NULL,
	finished_at TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	UNIQUE (job, period, attempt)
);
CREATE INDEX runs_by_job ON runs (job, id);

CREATE TABLE artifacts (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	path   TEXT    NOT NULL,
	sha256 TEXT    NOT NULL,
	bytes  INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
);

CREATE TABLE deliveries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id     INTEGER NOT NULL REFERENCES runs (id),
	job        TEXT    NOT NULL,
	period     TEXT    NOT NULL,
	recipient  TEXT    NOT NULL,
	kind       TEXT    NOT NULL CHECK (kind IN ('to', 'cc', 'bcc')),
	message_id TEXT    NOT NULL,
	status     TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed-temporary', 'failed-permanent')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT '',
	sent_at    TEXT    NOT NULL DEFAULT '',
	updated_at TEXT    NOT NULL,
	UNIQUE (job, period, recipient)
);
CREATE INDEX deliveries_pending ON deliveries (status) WHERE status IN ('queued', 'failed-temporary');
`,
	// 2: since when the daemon has been responsible for a job's schedule, so that
	// catch-up runs only periods missed while it was down, never a new job's history.
	`
CREATE TABLE job_schedules (
	job   TEXT PRIMARY KEY,
	since TEXT NOT NULL
);
`,
}

// migrate brings the schema to len(migrations), one transaction per
// migration, and refuses a database that is newer than this build.
func (l *Ledger) migrate(ctx context.Context) error {
	if _, err := l.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT    NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done, err := l.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any, and reports whether the
// schema was already current. Reading the version inside the write
// transaction keeps two processes from applying the same migration.
func (l *Ledger) migrateOne(ctx context.Context) (done bool, err error) {
	err = l.inTx(ctx, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case current > len(migrations):
			return fmt.Errorf("%w: database has version %d, this build knows up to %d", ErrSchemaTooNew, current, len(migrations))
		case current == len(migrations):
			done = true
			return nil
		}
		next := current + 1
		if _, err := tx.ExecContext(ctx, migrations[current]); err != nil {
			return fmt.Errorf("apply migration %d: %w", next, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
			next, formatTime(l.now())); err != nil {
			return fmt.Errorf("record migration %d: %w", next, err)
		}
		return nil
	})
	return done, err
}
