package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

const (
	// sqliteBatchRows is the number of rows one INSERT statement carries.
	sqliteBatchRows = 100
	// sqliteTxRows is the number of rows per transaction.
	sqliteTxRows = 500_000
)

// sqliteStore writes all tables into one SQLite database file. Every value is
// TEXT spelled exactly as in the CSV files, and an empty value is NULL, so
// both sources give the same KPIs.
type sqliteStore struct {
	tmp, final string
	db         *sql.DB
	conn       *sql.Conn
}

func newSQLiteStore(ctx context.Context, final string) (*sqliteStore, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".*.tmp")
	if err != nil {
		return nil, err
	}
	s := &sqliteStore{tmp: f.Name(), final: final}
	if err := errors.Join(f.Chmod(filePerm), f.Close()); err != nil {
		return nil, errors.Join(err, s.discard())
	}
	if err := s.open(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", s.tmp, err), s.discard())
	}
	return s, nil
}

func (s *sqliteStore) open(ctx context.Context) (err error) {
	if s.db, err = sql.Open("sqlite", s.tmp); err != nil {
		return err
	}
	s.db.SetMaxOpenConns(1)
	if s.conn, err = s.db.Conn(ctx); err != nil {
		return err
	}
	// The file only gets its final name once complete, so crash safety while
	// building buys nothing.
	for _, p := range []string{
		"PRAGMA journal_mode=OFF",
		"PRAGMA synchronous=OFF",
		"PRAGMA locking_mode=EXCLUSIVE",
		"PRAGMA cache_size=-32768",
	} {
		if _, err := s.conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func (s *sqliteStore) create(ctx context.Context, t *table) (tableWriter, error) {
	defs := make([]string, len(t.columns))
	for i, c := range t.columns {
		defs[i] = c.name + " TEXT"
		if c.required {
			defs[i] += " NOT NULL"
		}
	}
	ddl := fmt.Sprintf("CREATE TABLE %s (%s) STRICT", t.name, strings.Join(defs, ", "))
	if _, err := s.conn.ExecContext(ctx, ddl); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	w := &sqliteTableWriter{ctx: ctx, conn: s.conn, t: t, args: make([]any, 0, sqliteBatchRows*len(t.columns))}
	if err := w.begin(); err != nil {
		return nil, errors.Join(err, w.close())
	}
	return w, nil
}

func (s *sqliteStore) commit(ctx context.Context) error {
	for _, ddl := range []string{
		"CREATE INDEX orders_order_date ON orders (order_date)",
		// The ids are unique: with these indexes a reader need not check them.
		"CREATE UNIQUE INDEX orders_order_id ON orders (order_id)",
		"CREATE UNIQUE INDEX customers_customer_id ON customers (customer_id)",
		"CREATE UNIQUE INDEX leads_lead_id ON leads (lead_id)",
		"CREATE UNIQUE INDEX deals_deal_id ON deals (deal_id)",
	} {
		if _, err := s.conn.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}
	if err := s.closeDB(); err != nil {
		return fmt.Errorf("close %s: %w", s.tmp, err)
	}
	f, err := os.OpenFile(s.tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(s.tmp, s.final)
}

func (s *sqliteStore) closeDB() error {
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
		s.conn = nil
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	return errors.Join(errs...)
}

func (s *sqliteStore) discard() error {
	errs := []error{s.closeDB()}
	for _, p := range []string{s.tmp, s.tmp + "-journal", s.tmp + "-wal", s.tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sqliteTableWriter inserts the rows of one table, sqliteBatchRows per
// statement, in transactions of sqliteTxRows rows.
type sqliteTableWriter struct {
	ctx    context.Context
	conn   *sql.Conn
	t      *table
	batch  *sql.Stmt
	args   []any
	inTx   int // rows inserted in the open transaction
	txOpen bool
	closed bool
}

func (w *sqliteTableWriter) begin() error {
	if _, err := w.conn.ExecContext(w.ctx, "BEGIN"); err != nil {
		return err
	}
	w.txOpen = true
	w.inTx = 0
	return nil
}

func (w *sqliteTableWriter) commitTx() error {
	w.txOpen = false
	_, err := w.conn.ExecContext(w.ctx, "COMMIT")
	return err
}

// insertSQL is the INSERT statement for n rows of t.
func insertSQL(t *table, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", t.name, strings.Join(t.columnNames(), ", "))
	tuple := "(" + strings.Repeat("?, ", len(t.columns)-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}

func (w *sqliteTableWriter) write(r *row) error {
	for i := range r.len() {
		if f := r.field(i); len(f) > 0 {
			w.args = append(w.args, string(f))
		} else {
			w.args = append(w.args, nil)
		}
	}
	if len(w.args) < cap(w.args) {
		return nil
	}
	return w.flush()
}

// flush inserts the buffered rows.
func (w *sqliteTableWriter) flush() error {
	n := len(w.args) / len(w.t.columns)
	if n == 0 {
		return nil
	}
	var err error
	if n == sqliteBatchRows {
		if w.batch == nil {
			if w.batch, err = w.conn.PrepareContext(w.ctx, insertSQL(w.t, n)); err != nil {
				return err
			}
		}
		_, err = w.batch.ExecContext(w.ctx, w.args...)
	} else {
		_, err = w.conn.ExecContext(w.ctx, insertSQL(w.t, n), w.args...)
	}
	if err != nil {
		return err
	}
	w.args = w.args[:0]
	if w.inTx += n; w.inTx >= sqliteTxRows {
		if err := w.commitTx(); err != nil {
			return err
		}
		return w.begin()
	}
	return nil
}

func (w *sqliteTableWriter) close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	errs = append(errs, w.flush())
	if w.batch != nil {
		errs = append(errs, w.batch.Close())
	}
	if w.txOpen {
		errs = append(errs, w.commitTx())
	}
	return errors.Join(errs...)
}
