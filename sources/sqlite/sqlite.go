// Package sqlite reads the canonical tables from an SQLite database, opened read-only.
// Each table is read with one query, streamed row by row: by default
// SELECT <the canonical columns the table has> FROM <table>, where the table may be
// renamed (sources.Table.Name) or the query replaced (sources.Table.Query), whose
// result must then use the canonical column names. Values may be TEXT (read as in a
// CSV file, with '.' as the decimal separator), INTEGER, REAL (money by its shortest
// decimal text, see money.FromFloat), a date or timestamp the driver returns as a
// time (in a column declared DATE, DATETIME or TIMESTAMP), or NULL, which means empty.
//
// The whole computation runs in Go. Pushing the aggregation down into SQL is a later
// step: a Source can then answer Load with queries per window instead of streaming the
// rows, behind the same interface.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/internal/decode"
	"github.com/kpireport/kpireport/sources/internal/dedup"
)

func init() {
	sources.Register("sqlite", func(opt sources.Options) (sources.Source, error) { return Open(opt) })
}

// Source reads an SQLite database.
type Source struct {
	db  *sql.DB
	opt sources.Options
}

var _ sources.Source = (*Source)(nil)

// hashRun is the number of id hashes collected before they are handed to the
// duplicate check.
const hashRun = 1 << 16

// Open opens the database at opt.Path read-only. It fails when the file is not there
// or is not an SQLite database.
func Open(opt sources.Options) (*Source, error) {
	opt, err := opt.WithDefaults()
	if err != nil {
		return nil, err
	}
	if opt.Path == "" {
		return nil, fmt.Errorf("%w: sqlite: path is empty", sources.ErrOptions)
	}
	zone := opt.Location.String()
	if _, err := time.LoadLocation(zone); err != nil {
		return nil, fmt.Errorf("%w: sqlite: time zone %q has no IANA name", sources.ErrOptions, zone)
	}
	if _, err := os.Stat(opt.Path); err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	// Timestamps without an offset in DATE/DATETIME/TIMESTAMP columns are local
	// times of the report's zone: the driver parses them in _timezone.
	dsn := "file:" + (&url.URL{Path: opt.Path}).EscapedPath() +
		"?mode=ro&_pragma=query_only(1)&_timezone=" + url.QueryEscape(zone)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", opt.Path, err)
	}
	if _, err := db.Exec("SELECT count(*) FROM sqlite_master"); err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite database %s: %w", opt.Path, err), db.Close())
	}
	return &Source{db: db, opt: opt}, nil
}

// Close closes the database.
func (s *Source) Close() error { return s.db.Close() }

// Load reads every table and returns the measures of plan. A missing orders or
// customers table is an error wrapping sources.ErrMissingTable; without an optional
// table its data is reported as not available. A bad row is a *sources.RowError
// naming the table and the row number in the query's result.
func (s *Source) Load(ctx context.Context, plan *kpi.Plan) (*kpi.Data, error) {
	agg := kpi.NewAggregator(plan)
	days := period.NewDayParser(s.opt.Location)
	var tables []*decode.Table
	for i := range sources.Schema {
		def := &sources.Schema[i]
		q, err := s.query(ctx, def)
		if err != nil {
			return nil, err
		}
		if q == nil {
			continue
		}
		t, err := s.readTable(ctx, q, agg, days)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	agg.SetAvailable(decode.Availability(tables))
	return agg.Data(), nil
}

// query is how one canonical table is read.
type query struct {
	def    *sources.TableDef
	where  string // "table orders"
	sql    string
	custom bool // the query is the user's
}

// query returns the query of def, or nil when the table is optional and missing.
func (s *Source) query(ctx context.Context, def *sources.TableDef) (*query, error) {
	over := s.opt.Tables[def.Name]
	if over.Query != "" {
		return &query{def: def, where: "table " + def.Name, sql: over.Query, custom: true}, nil
	}
	name := def.Name
	if over.Name != "" {
		name = over.Name
	}
	schema, table, ok := strings.Cut(name, ".")
	if !ok {
		schema, table = "main", name
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?, ?)", table, schema)
	if err != nil {
		return nil, fmt.Errorf("read columns of table %s: %w", name, err)
	}
	defer rows.Close()
	present := map[string]bool{}
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			return nil, fmt.Errorf("read columns of table %s: %w", name, err)
		}
		present[col] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of table %s: %w", name, err)
	}
	if len(present) == 0 {
		if def.Required || over.Name != "" {
			return nil, fmt.Errorf("%w %s: no table %q in %s", sources.ErrMissingTable, def.Name, name, s.opt.Path)
		}
		return nil, nil
	}
	var cols []string
	for _, c := range def.Columns {
		if present[c.Name] {
			cols = append(cols, quoteIdent(c.Name))
		}
	}
	if len(cols) == 0 {
		cols = append(cols, "NULL") // Bind reports the missing columns
	}
	return &query{
		def:   def,
		where: "table " + name,
		sql:   "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(schema) + "." + quoteIdent(table),
	}, nil
}

// readTable reads the rows of q into agg and checks that their ids are unique.
func (s *Source) readTable(ctx context.Context, q *query, agg *kpi.Aggregator, days *period.DayParser) (*decode.Table, error) {
	ids := dedup.New()
	var t *decode.Table
	var dec *decode.Decoder
	var scratch []uint64
	err := s.rows(ctx, q, func(tt *decode.Table) error {
		t = tt
		dec = decode.New(t, agg, days, '.', ids.Seed())
		if t.IDField() >= 0 {
			dec.Hashes = make([]uint64, 0, hashRun)
		}
		return nil
	}, func(n int64, fields [][]byte) error {
		if err := dec.Decode(n, fields); err != nil {
			return err
		}
		if len(dec.Hashes) == hashRun {
			scratch = ids.Add(dec.Hashes, scratch)
			dec.Hashes = make([]uint64, 0, hashRun)
		}
		return nil
	})
	if err != nil || t.IDField() < 0 {
		return t, err
	}
	ids.Add(dec.Hashes, scratch)
	repeated, err := ids.Repeated(ctx, 1)
	if err != nil || len(repeated) == 0 {
		return t, err
	}
	// Two ids share a hash: find the rows in a second pass.
	res := dedup.NewResolver(ids.Seed(), repeated)
	field := t.IDField()
	return t, s.rows(ctx, q, func(*decode.Table) error { return nil }, func(n int64, fields [][]byte) error {
		if first, dup := res.Check(fields[field], n); dup {
			return t.Duplicate(n, first, fields[field])
		}
		return nil
	})
}

// rows runs q, binds its columns (bind is called once, before the first row) and calls
// row for every row, numbered from 1, with its values as text.
func (s *Source) rows(ctx context.Context, q *query, bind func(*decode.Table) error, row func(n int64, fields [][]byte) error) error {
	rows, err := s.db.QueryContext(ctx, q.sql)
	if err != nil {
		return fmt.Errorf("read %s: query %q: %w", q.where, q.sql, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("read %s: %w", q.where, err)
	}
	t, err := decode.Bind(q.def, q.where, names)
	if err != nil {
		if q.custom {
			return fmt.Errorf("%s: %w in the result of query %q", q.where, err, q.sql)
		}
		return fmt.Errorf("%s: %w", q.where, err)
	}
	if err := bind(t); err != nil {
		return err
	}
	cells := make([]cell, len(names))
	dest := make([]any, len(names))
	for i := range cells {
		dest[i] = &cells[i]
	}
	fields := make([][]byte, len(names))
	n := int64(0)
	for rows.Next() {
		n++
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read %s row %d: %w", q.where, n, err)
		}
		for i := range cells {
			fields[i] = cells[i].b
		}
		if err := row(n, fields); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", q.where, err)
	}
	return nil
}

// cell scans any SQLite value as text, reusing its buffer: NULL is empty, numbers are
// their shortest decimal text, a time is RFC 3339 text with its offset.
type cell struct{ b []byte }

func (c *cell) Scan(src any) error {
	c.b = c.b[:0]
	switch v := src.(type) {
	case nil:
	case []byte:
		c.b = append(c.b, v...)
	case string:
		c.b = append(c.b, v...)
	case int64:
		c.b = strconv.AppendInt(c.b, v, 10)
	case float64:
		c.b = strconv.AppendFloat(c.b, v, 'f', -1, 64)
	case bool:
		c.b = strconv.AppendBool(c.b, v)
	case time.Time:
		c.b = v.AppendFormat(c.b, time.RFC3339Nano)
	default:
		return fmt.Errorf("unsupported value of type %T", src)
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
