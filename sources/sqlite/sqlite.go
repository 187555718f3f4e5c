// Package sqlite reads the canonical tables from an SQLite database, opened read-only.
// Each table is read with one query, streamed row by row: by default
// SELECT <the canonical columns the table has> FROM <table>, where the table may be
// renamed (sources.Table.Name) or the query replaced (sources.Table.Query), whose
// result must then use the canonical column names. Values may be TEXT (read as in a
// CSV file, with '.' as the decimal separator), INTEGER, REAL (money by its shortest
// decimal text, see money.FromFloat), a date or timestamp the driver returns as a
// time (in a column declared DATE, DATETIME or TIMESTAMP), or NULL, which means empty.
//
// A table with a rowid (not a view, a WITHOUT ROWID table or a query) is read by
// Options.Workers goroutines at once, each taking ranges of rowids on a connection of
// its own, into an aggregator of its own; the aggregators are merged at the end. A bad
// row is still numbered by its position in the whole table, in rowid order.
//
// The aggregation runs in Go, in this process, not in SQL as for PostgreSQL and MySQL
// (package sqlagg): SQLite is embedded, so there is no server to push it to; the rows
// are read by the same process either way, and here on all cores into the engine's
// aggregators. A query is bounded by the run's context (the job's timeout).
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/kpireport/kpireport/internal/panics"
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
	db        *sql.DB
	opt       sources.Options
	rangeRows int64              // rows per rowid range; 0 for about one range per worker
	idBudget  int                // memory for the hashes of ids (dedup.WithBudget); 0 for the default
	onIDCheck func(table string) // called when the ids of a table are checked; for tests
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
// naming the table and the row number in the query's result, the first bad row of
// the table.
func (s *Source) Load(ctx context.Context, plan *kpi.Plan) (*kpi.Data, error) {
	workers := s.opt.Workers
	aggs := make([]*kpi.Aggregator, workers)
	days := make([]*period.DayParser, workers)
	for w := range aggs {
		aggs[w] = kpi.NewAggregator(plan)
		days[w] = period.NewDayParser(s.opt.Location)
		days[w].SetLayout(s.opt.DateFormat)
	}
	var tables []*decode.Table
	var errs []error
	// The customers are read first, so that the orders can be checked against them.
	defs := []*sources.TableDef{sources.SchemaOf("customers")}
	for i := range sources.Schema {
		if sources.Schema[i].Name != "customers" {
			defs = append(defs, &sources.Schema[i])
		}
	}
	st := &loadState{}
	for _, def := range defs {
		q, err := s.query(ctx, def)
		var t *decode.Table
		if err == nil && q != nil {
			t, err = s.readTable(ctx, q, aggs, days, st)
		}
		if err != nil {
			if !s.opt.AllTables || ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		if t != nil {
			tables = append(tables, t)
		}
	}
	var warnings []kpi.Warning
	if o := st.orphans; o.Count > 0 {
		w := kpi.Warning{Code: kpi.WarnOrphanOrders, Count: o.Count, Example: o.ID, Where: fmt.Sprintf("%s row %d", st.ordersWhere, o.Line)}
		if s.opt.OrphanOrders == sources.OrphanError {
			errs = append(errs, sources.OrphanOrdersError(w))
		} else {
			warnings = append(warnings, w)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, a := range aggs[1:] {
		aggs[0].Merge(a)
	}
	aggs[0].SetAvailable(decode.Availability(tables))
	data := aggs[0].Data()
	data.Warnings = append(data.Warnings, warnings...)
	return data, nil
}

// loadState is what reading one table leaves for the next: the customers' ids, and
// the orders of other customers.
type loadState struct {
	customers   *decode.CustomerIDs // collected while the customers are read
	known       *decode.IDSet       // the customers, once read
	ordersWhere string              // "table orders"

	mu       sync.Mutex
	orphans  decode.Orphans
	firstSeq int // range of orphans.Line, which is counted from the range's start
}

// addOrphans adds the orphans of range seq, their lines counted from its start.
func (st *loadState) addOrphans(seq int, o decode.Orphans) {
	if o.Count == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.orphans.Count == 0 || seq < st.firstSeq || seq == st.firstSeq && o.Line < st.orphans.Line {
		st.orphans.Line, st.orphans.ID, st.firstSeq = o.Line, o.ID, seq
	}
	st.orphans.Count += o.Count
}

// query is how one canonical table is read.
type query struct {
	def    *sources.TableDef
	where  string // "table orders"
	sql    string
	custom bool // the query is the user's

	// table and rowid name the table ("main"."orders") and the name its rowid can
	// be selected by, when it has one that no column hides; rowid is empty for a
	// view, a WITHOUT ROWID table or the user's query.
	table, rowid string
	raw          bool // the ranges may be read with a rawConn
	// unique: the database keeps the ids unique (a unique index or the rowid), so
	// they are not checked.
	unique bool
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
	rows, err := s.db.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?, ?)", table, schema)
	if err != nil {
		return nil, fmt.Errorf("read columns of table %s: %w", name, err)
	}
	defer rows.Close()
	// Column names are matched in any case, as SQLite does: the maps are by the
	// lower-case name.
	var all []string
	present := map[string]bool{}
	actual := map[string]string{}
	declared := map[string]string{}
	var pk []string
	for rows.Next() {
		var col, typ string
		var key int
		if err := rows.Scan(&col, &typ, &key); err != nil {
			return nil, fmt.Errorf("read columns of table %s: %w", name, err)
		}
		all = append(all, col)
		present[strings.ToLower(col)] = true
		actual[strings.ToLower(col)] = col
		declared[strings.ToLower(col)] = strings.ToUpper(typ)
		if key > 0 {
			pk = append(pk, col)
		}
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
	raw := true
	for _, c := range def.Columns {
		if !present[c.Name] && c.Need == sources.Required {
			_, err := decode.Bind(def, "table "+name, all) // the error, with the columns found
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		if present[c.Name] {
			cols = append(cols, quoteIdent(actual[c.Name]))
			switch declared[c.Name] {
			case "DATE", "DATETIME", "TIMESTAMP": // the driver reads times
				raw = false
			}
		}
	}
	if len(cols) == 0 {
		cols = append(cols, "NULL") // Bind reports the missing columns
	}
	q := &query{
		def:   def,
		where: "table " + name,
		table: quoteIdent(schema) + "." + quoteIdent(table),
		raw:   raw,
	}
	q.sql = "SELECT " + strings.Join(cols, ", ") + " FROM " + q.table
	var kind string
	var withoutRowid, strict bool
	err = s.db.QueryRowContext(ctx, "SELECT type, wr, strict FROM pragma_table_list WHERE schema = ? AND name = ?", schema, table).Scan(&kind, &withoutRowid, &strict)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read type of table %s: %w", name, err)
	}
	if err != nil || kind != "table" {
		return q, nil
	}
	if !withoutRowid {
		for _, alias := range []string{"rowid", "_rowid_", "oid"} {
			if !present[alias] {
				q.rowid = alias
				break
			}
		}
	}
	for _, c := range def.Columns {
		if !c.Unique || !present[c.Name] {
			continue
		}
		switch typ := declared[c.Name]; {
		case !withoutRowid && typ == "INTEGER" && len(pk) == 1 && strings.EqualFold(pk[0], c.Name):
			// An alias of the rowid, unless declared INTEGER PRIMARY KEY DESC,
			// which has an index and may hold any value in a table not STRICT.
			var pkIndexes int
			err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_index_list(?, ?) WHERE origin = 'pk'`, table, schema).Scan(&pkIndexes)
			if err != nil {
				return nil, fmt.Errorf("read indexes of table %s: %w", name, err)
			}
			q.unique = pkIndexes == 0 || strict
		case strict && (typ == "TEXT" || typ == "INTEGER"):
			q.unique, err = s.uniqueIndex(ctx, schema, table, actual[c.Name])
			if err != nil {
				return nil, fmt.Errorf("read indexes of table %s: %w", name, err)
			}
		}
	}
	return q, nil
}

// uniqueIndex reports whether column col of table has a unique index of its own (a
// PRIMARY KEY or UNIQUE constraint is one), not partial. It is only asked about the
// columns of a STRICT table: in another, a BLOB and a TEXT of the same bytes are
// different values to the index but the same id to the reader.
func (s *Source) uniqueIndex(ctx context.Context, schema, table, col string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_index_list(?1, ?2) AS il
		WHERE il."unique" AND NOT il.partial
		AND (SELECT count(*) FROM pragma_index_info(il.name, ?2)) = 1
		AND (SELECT name FROM pragma_index_info(il.name, ?2)) = ?3`, table, schema, col).Scan(&n)
	return n > 0, err
}

// minRangeRows is the least number of rows in a rowid range that a worker reads.
const minRangeRows = 1 << 16

// rowRange is the rows lo <= rowid < hi of a table, the seq'th range of the table.
type rowRange struct {
	seq    int
	lo, hi int64
}

// readTable reads the rows of q into the aggregators, one per worker, and checks that
// their ids are unique. A table with a rowid is read in rowid ranges, by all workers
// at once; any other in one query, into aggs[0].
func (s *Source) readTable(ctx context.Context, q *query, aggs []*kpi.Aggregator, days []*period.DayParser, st *loadState) (_ *decode.Table, err error) {
	var ids *dedup.Set // nil when the database keeps the ids unique
	if !q.unique {
		var opts []dedup.Option
		if s.idBudget > 0 {
			opts = append(opts, dedup.WithBudget(s.idBudget))
		}
		ids = dedup.New(opts...)
		if s.onIDCheck != nil {
			s.onIDCheck(q.def.Name)
		}
		defer func() {
			if cerr := ids.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("read %s: %w", q.where, cerr))
			}
		}()
	}
	ranges, err := s.ranges(ctx, q, len(aggs))
	if err != nil {
		return nil, err
	}
	rd := &reading{seed: maphash.MakeSeed(), st: st}
	if s.opt.AllTables {
		rd.bad = &decode.BadRows{}
	}
	if ids != nil {
		rd.seed = ids.Seed()
	}
	switch q.def.Name {
	case "customers":
		rd.customers = decode.NewCustomerIDs(rd.seed)
	case "orders":
		rd.known = st.known
	}
	var t *decode.Table
	if len(ranges) < 2 {
		t, err = s.readRange(ctx, q, nil, aggs[0], days[0], ids, rd, nil)
	} else {
		t, err = s.readParallel(ctx, q, ranges, aggs, days, ids, rd)
	}
	if err == nil {
		err = s.badRows(ctx, q, ranges, rd.bad)
	}
	if err == nil {
		err = s.finishOrphans(ctx, q, ranges, rd)
	}
	if err != nil || t.IDField() < 0 || ids == nil {
		return t, err
	}
	repeated, err := ids.Repeated(ctx, len(aggs))
	if err != nil || len(repeated) == 0 {
		return t, err
	}
	// Two ids share a hash: find the rows in a second pass.
	res := dedup.NewResolver(ids.Seed(), repeated)
	field := t.IDField()
	return t, s.rows(ctx, q, nil, func(*decode.Table) error { return nil }, func(n int64, fields [][]byte) error {
		if first, dup := res.Check(fields[field], n); dup {
			return t.Duplicate(n, first, fields[field])
		}
		return nil
	})
}

// reading is what the ranges of one table share besides the aggregators.
type reading struct {
	seed      maphash.Seed        // of the id hashes
	customers *decode.CustomerIDs // reading the customers: collects their ids
	known     *decode.IDSet       // reading the orders: the customers
	st        *loadState
	bad       *decode.BadRows // with AllTables: the bad rows, which do not stop the reading
}

// badRows returns the bad rows of q as a *sources.RowErrors, numbered from the
// table's start, or nil when there are none.
func (s *Source) badRows(ctx context.Context, q *query, ranges []rowRange, bad *decode.BadRows) error {
	rows := bad.First()
	before := map[int64]int64{} // rows before each range
	for _, r := range rows {
		if _, ok := before[r.Seq]; ok || r.Seq == 0 || int(r.Seq) >= len(ranges) {
			continue
		}
		var n int64
		err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.table+" WHERE "+quoteIdent(q.rowid)+" < ?", ranges[r.Seq].lo).Scan(&n)
		if err != nil {
			return fmt.Errorf("read %s: count rows: %w", q.where, err)
		}
		before[r.Seq] = n
	}
	for _, r := range rows {
		renumber(r.Err, before[r.Seq])
	}
	return bad.Err(q.where)
}

// finishOrphans ends the reading of a table for the orphan check: after the
// customers it makes their set, after the orders it numbers the first orphan from the
// table's start.
func (s *Source) finishOrphans(ctx context.Context, q *query, ranges []rowRange, rd *reading) error {
	st := rd.st
	switch {
	case rd.customers != nil:
		st.known = rd.customers.Set()
	case q.def.Name == "orders":
		st.ordersWhere = q.where
		if st.orphans.Count == 0 || st.firstSeq == 0 || st.firstSeq >= len(ranges) {
			return nil
		}
		var before int64
		r := &ranges[st.firstSeq]
		err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.table+" WHERE "+quoteIdent(q.rowid)+" < ?", r.lo).Scan(&before)
		if err != nil {
			return fmt.Errorf("read %s: count rows: %w", q.where, err)
		}
		st.orphans.Line += before
	}
	return nil
}

// ranges splits the rowids of q into ranges of at least s.rangeRows (default
// minRangeRows) rows, about one per worker. It returns none when q has no rowid.
func (s *Source) ranges(ctx context.Context, q *query, workers int) ([]rowRange, error) {
	if q.rowid == "" || workers < 2 {
		return nil, nil
	}
	var lo, hi sql.NullInt64
	col := quoteIdent(q.rowid)
	err := s.db.QueryRowContext(ctx, "SELECT min("+col+"), max("+col+") FROM "+q.table).Scan(&lo, &hi)
	if err != nil {
		return nil, fmt.Errorf("read %s: rowids: %w", q.where, err)
	}
	if !lo.Valid || !hi.Valid {
		return nil, nil
	}
	span := uint64(hi.Int64-lo.Int64) + 1 // may overflow int64
	size := s.rangeRows
	if size <= 0 {
		size = max(int64(min(span/uint64(workers)+1, math.MaxInt64)), minRangeRows)
	}
	var ranges []rowRange
	for start := lo.Int64; ; start += size {
		r := rowRange{seq: len(ranges), lo: start, hi: math.MaxInt64}
		if uint64(hi.Int64-start) >= uint64(size) { // unsigned: start may be far below 0
			r.hi = start + size
		}
		ranges = append(ranges, r)
		if r.hi == math.MaxInt64 {
			return ranges, nil
		}
	}
}

// readParallel reads ranges of q with one goroutine per aggregator, each taking
// ranges in turn. On the first error the ranges after the bad one stop; it returns
// the error of the first range that failed, its row number counted from the start of
// the table.
func (s *Source) readParallel(ctx context.Context, q *query, ranges []rowRange, aggs []*kpi.Aggregator, days []*period.DayParser, ids *dedup.Set, rd *reading) (*decode.Table, error) {
	var (
		next    atomic.Int64
		failSeq atomic.Int64 // seq of the first range that failed
		mu      sync.Mutex
		failErr error
		table   *decode.Table
		wg      sync.WaitGroup
	)
	failSeq.Store(math.MaxInt64)
	for w := range aggs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(ranges) || int64(k) > failSeq.Load() {
					return
				}
				r := &ranges[k]
				t, err := func() (_ *decode.Table, err error) {
					// A panic in this goroutine would end the process: it is the
					// range's error instead.
					defer panics.Recover(&err)
					return s.readRange(ctx, q, r, aggs[w], days[w], ids, rd, func() bool { return failSeq.Load() < int64(r.seq) })
				}()
				mu.Lock()
				if t != nil && table == nil {
					table = t
				}
				if err != nil && int64(r.seq) < failSeq.Load() {
					failSeq.Store(int64(r.seq))
					failErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failErr == nil {
		return table, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if errors.Is(failErr, errStopped) {
		return nil, fmt.Errorf("read %s: %w", q.where, failErr)
	}
	// Renumber the bad row: the range's rows were counted from 1.
	r := &ranges[failSeq.Load()]
	var before int64
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.table+" WHERE "+quoteIdent(q.rowid)+" < ?", r.lo).Scan(&before)
	if err != nil {
		return nil, errors.Join(failErr, fmt.Errorf("read %s: count rows: %w", q.where, err))
	}
	return nil, renumber(failErr, before)
}

// errStopped stops the reading of a range after a range before it failed; it is
// never returned by Load.
var errStopped = errors.New("sqlite: range stopped")

// renumber adds before to the row number of err.
func renumber(err error, before int64) error {
	var re *sources.RowError
	var se *scanError
	switch {
	case errors.As(err, &re):
		re.Line += before
	case errors.As(err, &se):
		se.row += before
	}
	return err
}

// readRange reads the rows of q in r (all its rows when r is nil) into agg and adds
// the hashes of their ids to ids, unless ids is nil. stopped, when not nil, is asked now and then whether
// to give up, with errStopped.
func (s *Source) readRange(ctx context.Context, q *query, r *rowRange, agg *kpi.Aggregator, days *period.DayParser, ids *dedup.Set, rd *reading, stopped func() bool) (*decode.Table, error) {
	var t *decode.Table
	var dec *decode.Decoder
	var scratch []uint64
	err := s.rows(ctx, q, r, func(tt *decode.Table) error {
		t = tt
		dec = decode.New(t, agg, days, decode.Format{Decimal: '.', Values: s.opt.Values}, rd.seed)
		dec.Customers = rd.known
		if t.IDField() >= 0 {
			dec.Hashes = make([]uint64, 0, hashRun)
		}
		return nil
	}, func(n int64, fields [][]byte) error {
		if stopped != nil && n%1024 == 0 && stopped() {
			return errStopped
		}
		if err := dec.Decode(n, fields); err != nil {
			if rd.bad == nil {
				return err
			}
			seq := int64(0)
			if r != nil {
				seq = int64(r.seq)
			}
			rd.bad.Add(seq, n, err)
		}
		if len(dec.Hashes) == hashRun {
			if rd.customers != nil {
				rd.customers.Add(dec.Hashes)
			}
			if ids == nil {
				dec.Hashes = dec.Hashes[:0]
				return nil
			}
			scratch = ids.Add(dec.Hashes, scratch)
			dec.Hashes = make([]uint64, 0, hashRun)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	seq := 0
	if r != nil {
		seq = r.seq
	}
	rd.st.addOrphans(seq, dec.Orphans)
	if rd.customers != nil {
		rd.customers.Add(dec.Hashes)
	}
	if t.IDField() < 0 || ids == nil {
		return t, nil
	}
	ids.Add(dec.Hashes, scratch)
	return t, nil
}

// rows runs q, restricted to the rows of r when r is not nil, binds its columns (bind
// is called once, before the first row) and calls row for every row, numbered from 1,
// with its values as text. It reads the driver's rows directly: database/sql would
// convert and copy every value once more.
func (s *Source) rows(ctx context.Context, q *query, r *rowRange, bind func(*decode.Table) error, row func(n int64, fields [][]byte) error) error {
	query, args := q.sql, []driver.NamedValue(nil)
	if r != nil {
		col := quoteIdent(q.rowid)
		query += " WHERE " + col + " >= ? AND " + col + " < ?"
		args = []driver.NamedValue{{Ordinal: 1, Value: r.lo}, {Ordinal: 2, Value: r.hi}}
	}
	if r != nil && q.raw {
		return s.rawRows(ctx, q, query, r, bind, row)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", q.where, err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		queryer, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("read %s: the sqlite driver cannot query", q.where)
		}
		rows, err := queryer.QueryContext(ctx, query, args)
		if err != nil {
			return fmt.Errorf("read %s: query %q: %w", q.where, query, err)
		}
		defer rows.Close()
		names := rows.Columns()
		if err := s.bind(q, names, bind); err != nil {
			return err
		}
		cells := make([]cell, len(names))
		values := make([]driver.Value, len(names))
		fields := make([][]byte, len(names))
		for n := int64(1); ; n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			err := rows.Next(values)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", q.where, err)
			}
			for i := range cells {
				if err := cells[i].Scan(values[i]); err != nil {
					return &scanError{where: q.where, row: n, err: err}
				}
				fields[i] = cells[i].b
			}
			if err := row(n, fields); err != nil {
				return err
			}
		}
	})
}

// rawRows reads the rows of query, the range r of q, as rows does, with a rawConn.
func (s *Source) rawRows(ctx context.Context, q *query, query string, r *rowRange, bind func(*decode.Table) error, row func(n int64, fields [][]byte) error) (err error) {
	c, err := openRaw(s.opt.Path)
	if err != nil {
		return fmt.Errorf("read %s: open sqlite database %s: %w", q.where, s.opt.Path, err)
	}
	defer func() {
		if cerr := c.close(); cerr != nil && err == nil {
			err = fmt.Errorf("read %s: %w", q.where, cerr)
		}
	}()
	bound, ours := false, false // ours: the error is bind's or row's
	err = c.query(ctx, query, []int64{r.lo, r.hi}, func(names []string) error {
		bound = true
		err := s.bind(q, names, bind)
		ours = err != nil
		return err
	}, func(n int64, fields [][]byte) error {
		err := row(n, fields)
		ours = err != nil
		return err
	})
	switch {
	case err == nil || ours || err == ctx.Err():
		return err
	case !bound:
		return fmt.Errorf("read %s: query %q: %w", q.where, query, err)
	}
	return fmt.Errorf("read %s: %w", q.where, err)
}

// bind binds the columns names of the result of q and calls bind with the table.
func (s *Source) bind(q *query, names []string, bind func(*decode.Table) error) error {
	t, err := decode.Bind(q.def, q.where, names)
	if err != nil {
		if q.custom {
			return fmt.Errorf("%s: %w in the result of query %q", q.where, err, q.sql)
		}
		return fmt.Errorf("%s: %w", q.where, err)
	}
	return bind(t)
}

// scanError is a row whose values the driver could not give.
type scanError struct {
	where string
	row   int64
	err   error
}

func (e *scanError) Error() string { return fmt.Sprintf("read %s row %d: %v", e.where, e.row, e.err) }
func (e *scanError) Unwrap() error { return e.err }

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
