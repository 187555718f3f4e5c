package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect is what differs between the databases a ledger can live in. The
// queries are written once, for SQLite, with ? placeholders; a dialect
// rebinds them and adds the few clauses that only one database needs.
type dialect struct {
	name string
	// numbered placeholders ($1, $2, ...) instead of ?.
	numbered bool
	// forUpdate is appended to a read whose row a transaction then changes,
	// so that a concurrent writer waits for it. SQLite needs none: its write
	// transactions hold the database's write lock from the start.
	forUpdate string
	// serialize is a statement that takes a lock on a key until the
	// transaction ends, for a write that reads what it inserts (the next
	// attempt number, the schema version); "" when writers are serialized
	// anyway.
	serialize string
	// migrations are the schema changes of this database, as in migrations.
	migrations []string
}

var (
	sqliteDialect = &dialect{
		name:       "sqlite",
		migrations: sqliteMigrations,
	}
	postgresDialect = &dialect{
		name:      "postgres",
		numbered:  true,
		forUpdate: " FOR UPDATE",
		// Advisory locks are per database; the first key keeps the ledger's
		// apart from the job locks (package cluster) and other users, the
		// schema in the second ledgers in different schemas of one database.
		serialize:  `SELECT pg_advisory_xact_lock(hashtext('kpireport.ledger'), hashtext(current_schema() || ':' || CAST(? AS TEXT)))`,
		migrations: postgresMigrations,
	}
)

// q returns query with its placeholders in the ledger's dialect.
func (l *Ledger) q(query string) string {
	if !l.dialect.numbered {
		return query
	}
	return rebind(query)
}

// rebind replaces each ? outside a quoted string or identifier with $1, $2,
// and so on.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte // the quote we are inside of, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// serialize makes the transaction wait for any other one that serialized on
// the same key, until one of them ends.
func (l *Ledger) serialize(ctx context.Context, tx *sql.Tx, key string) error {
	if l.dialect.serialize == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, l.q(l.dialect.serialize), key)
	return err
}
