package sqlagg

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

// DefaultStatementTimeout is how long one statement may run unless configured otherwise.
const DefaultStatementTimeout = 10 * time.Minute

// Config says how a Source reaches its database.
type Config struct {
	// Dialect is the SQL engine's.
	Dialect Dialect
	// DB is the database. The Source closes it.
	DB *sql.DB
	// Options are the source options: table overrides and the report's zone.
	Options sources.Options
	// StatementTimeout limits each statement. Default: DefaultStatementTimeout;
	// negative: no limit.
	StatementTimeout time.Duration
	// Secrets are taken out of every error: the DSN and its password.
	Secrets []string
}

// Source is an SQL source whose measures the database computes. It implements
// sources.Source.
type Source struct {
	d       Dialect
	db      *sql.DB
	opt     sources.Options
	timeout time.Duration
	secrets []string
}

var _ sources.Source = (*Source)(nil)

// New returns the source cfg describes. It does not connect yet.
func New(cfg Config) (*Source, error) {
	opt, err := cfg.Options.WithDefaults()
	if err != nil {
		return nil, err
	}
	timeout := cfg.StatementTimeout
	switch {
	case timeout == 0:
		timeout = DefaultStatementTimeout
	case timeout < 0:
		timeout = 0
	}
	return &Source{d: cfg.Dialect, db: cfg.DB, opt: opt, timeout: timeout, secrets: cfg.Secrets}, nil
}

// Close closes the database.
func (s *Source) Close() error { return s.redact(s.db.Close()) }

func (s *Source) redact(err error) error { return Redact(err, s.secrets...) }

// begin connects and starts the read-only transaction. done ends both.
func (s *Source) begin(ctx context.Context) (tx *sql.Tx, setup []string, done func(), err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect to %s: %w", s.d.Name(), err)
	}
	tx, setup, err = s.d.Begin(ctx, conn, s.timeout)
	if err != nil {
		return nil, nil, nil, errors.Join(fmt.Errorf("start a read-only transaction: %w", err), conn.Close())
	}
	return tx, setup, func() {
		_ = tx.Rollback() // read-only: nothing to keep; fails harmlessly after Commit
		_ = conn.Close()
	}, nil
}

// Load computes the measures of plan in the database. Every row of every table is
// checked against the data contract (also rows outside the plan's windows); the first
// bad one is a *ValueError. A table or query that lacks a canonical column, or returns
// one of the wrong type, is a *ColumnError.
func (s *Source) Load(ctx context.Context, plan *kpi.Plan) (_ *kpi.Data, err error) {
	defer func() { err = s.redact(err) }()
	tx, _, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ts, err := s.resolve(ctx, tx)
	if err != nil {
		return nil, err
	}
	g := newGen(s.d, s.opt.Location, plan)
	r := g.newResult()
	for i := range sources.Schema {
		t := ts[sources.Schema[i].Name]
		if t == nil {
			continue
		}
		r.bad = 0
		// A result that cannot be read (a sum with too many fraction digits) comes from
		// a bad row: the bad row is the better error.
		var rowErr error
		for _, st := range g.statements(t, ts, r) {
			bad, err := s.run(ctx, tx, st)
			if err != nil {
				return nil, err
			}
			rowErr = cmp.Or(rowErr, bad)
		}
		var fail error
		if r.bad > 0 {
			if _, err := s.run(ctx, tx, g.locate(t, g.checks(t), &fail)); err != nil {
				return nil, err
			}
			if fail == nil {
				return nil, fmt.Errorf("%w: table %s: %d rows break the data contract, but none was found", ErrResult, t.def.Name, r.bad)
			}
			return nil, fail
		}
		if rowErr != nil {
			return nil, rowErr
		}
		if st := g.duplicates(t, &fail); st != nil && !t.unique {
			if _, err := s.run(ctx, tx, st); err != nil {
				return nil, err
			}
			if fail != nil {
				return nil, fail
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("end the read-only transaction: %w", err)
	}
	data := g.data(r, available(ts))
	if r.future.Count > 0 {
		data.Warnings = append(data.Warnings, kpi.FutureWarning(r.future.Count, r.future.Table, r.future.Day))
	}
	if r.orphans > 0 {
		w := kpi.Warning{Code: kpi.WarnOrphanOrders, Count: r.orphans, Example: r.orphan, Where: "table " + ts["orders"].def.Name}
		if s.opt.OrphanOrders == sources.OrphanError {
			return nil, sources.OrphanOrdersError(w)
		}
		data.Warnings = append(data.Warnings, w)
	}
	return data, nil
}

// Explain returns the statements Load runs for plan, in order, as SQL that the
// engine's shell runs as it is: the start of the read-only transaction, one prepared
// statement with its parameter values per step, and the end. The statements that find
// the first bad row run only when a table breaks the data contract and are not shown.
func (s *Source) Explain(ctx context.Context, plan *kpi.Plan) (_ []string, err error) {
	defer func() { err = s.redact(err) }()
	tx, setup, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ts, err := s.resolve(ctx, tx)
	if err != nil {
		return nil, err
	}
	g := newGen(s.d, s.opt.Location, plan)
	r := g.newResult()
	out := slices.Clone(setup)
	for i := range sources.Schema {
		t := ts[sources.Schema[i].Name]
		if t == nil {
			out = append(out, "-- "+sources.Schema[i].Name+": no such table, its KPIs are n/a")
			continue
		}
		sts := g.statements(t, ts, r)
		var fail error
		if st := g.duplicates(t, &fail); st != nil && !t.unique {
			sts = append(sts, st)
		}
		for k, st := range sts {
			name := "kpireport_" + t.def.Name + "_" + strconv.Itoa(k+1)
			out = append(out, "-- "+t.def.Name+": "+st.title+"\n"+s.d.Script(name, st.query, st.args))
		}
	}
	return append(out, "COMMIT;"), nil
}

// run runs st and hands its rows to st.row. It reads every row even when st.row fails
// on one, and returns the first such error as rowErr.
func (s *Source) run(ctx context.Context, tx *sql.Tx, st *statement) (rowErr, err error) {
	args := make([]any, len(st.args))
	for i, a := range st.args {
		args[i] = a.Value
	}
	wrap := func(err error) error { return fmt.Errorf("table %s: %s: %w", st.table, st.title, err) }
	rows, err := tx.QueryContext(ctx, st.query, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	if cols, err := rows.Columns(); err == nil && len(cols) != st.cols {
		return nil, wrap(fmt.Errorf("%w: %d columns, want %d", ErrResult, len(cols), st.cols))
	}
	vals := make([]sql.NullString, st.cols)
	ptrs := make([]any, st.cols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrap(err)
		}
		for i, v := range vals {
			if v.Valid && !utf8.ValidString(v.String) {
				col := ""
				if i < len(cols) {
					col = cols[i]
				}
				return nil, notUTF8(st.table, col, v.String)
			}
		}
		if err := st.row(vals); err != nil && rowErr == nil {
			rowErr = wrap(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return rowErr, nil
}

// notUTF8 is the error of a text value that is not valid UTF-8 (a PostgreSQL database
// in SQL_ASCII, a MySQL binary column): the value is aggregated, so no row is known.
func notUTF8(table, col, value string) error {
	shown := value
	if len(shown) > 40 {
		shown = shown[:37] + "..."
	}
	return fmt.Errorf("table %s column %s: %w: %q: store the text as UTF-8 in the database, or convert it to UTF-8 in the table's query (source.tables.%s.query)",
		table, col, sources.ErrEncoding, shown, table)
}

// available says which optional data the tables hold.
func available(ts map[string]*table) kpi.Availability {
	return kpi.Availability{
		Cost:  ts["orders"].has("cost"),
		Leads: ts["leads"] != nil,
		Deals: ts["deals"] != nil,
		Spend: ts["spend"] != nil,
		Calls: ts["calls"] != nil,
	}
}

// data adds up the intervals, positions and masks of r into the measures of every
// window of the plan.
func (g *gen) data(r *result, has kpi.Availability) *kpi.Data {
	data := &kpi.Data{Windows: make(map[period.Range]*kpi.Measures, len(g.plan.Windows)), Has: has, Latest: r.latest}
	for wi, w := range g.plan.Windows {
		i, j := int64(g.win[wi][0]), int64(g.win[wi][1])
		m := &kpi.Measures{Buyers: r.buyers[wi]}
		for k := i; k < j; k++ {
			m.AddEvents(&r.acc[k])
		}
		// A date before cut i has position ≤ i; a date at or after cut i, position > i.
		for _, c := range r.customers {
			if c.a <= i && c.b > i {
				m.CustomersStart += c.n
				if c.b <= j {
					m.CustomersLost += c.n
				}
			}
			if c.a <= j && c.b > j {
				m.CustomersEnd += c.n
			}
		}
		for _, l := range r.converted {
			if l.a > i && l.a <= j && l.b <= j {
				m.LeadsConverted += l.n
			}
		}
		data.Windows[w] = m
	}
	data.ByRep = sortedDims(r.reps)
	data.ByRegion = sortedDims(r.regions)
	return data
}

func sortedDims(m map[string]*kpi.DimMeasures) []kpi.DimMeasures {
	out := make([]kpi.DimMeasures, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(x, y kpi.DimMeasures) int { return cmp.Compare(x.Name, y.Name) })
	return out
}
