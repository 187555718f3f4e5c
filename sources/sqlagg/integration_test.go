package sqlagg_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/mysql"
	"github.com/kpireport/kpireport/sources/postgres"
	"github.com/kpireport/kpireport/sources/sqlagg"
	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
)

// engine is a database kind under test.
type engine struct {
	name  string
	db    func(testing.TB) *sqltest.DB
	open  func(sources.Options, string) (*sqlagg.Source, error)
	types map[string]string // generic column type → SQL type
	quote func(string) string
}

var engines = []engine{
	{name: "postgres", db: sqltest.NewPostgres, open: postgres.OpenDSN, quote: postgres.Dialect{}.Quote, types: map[string]string{
		"text": "TEXT", "date": "DATE", "ts": "TIMESTAMPTZ", "money": "NUMERIC(18,4)", "num": "NUMERIC",
		"bool": "BOOLEAN", "int": "INTEGER", "float": "DOUBLE PRECISION"}},
	{name: "mysql", db: sqltest.NewMySQL, open: mysql.OpenDSN, quote: mysql.Dialect{}.Quote, types: map[string]string{
		"text": "VARCHAR(64)", "date": "DATE", "ts": "DATETIME", "money": "DECIMAL(18,4)", "num": "DECIMAL(24,8)",
		"bool": "BOOLEAN", "int": "INT", "float": "DOUBLE"}},
}

// create makes a table of columns "name type" (generic types of engine.types) and
// inserts rows of SQL literals.
func (e engine) create(t *testing.T, db *sqltest.DB, name string, cols []string, rows ...string) {
	t.Helper()
	defs := make([]string, len(cols))
	for i, c := range cols {
		n, typ, _ := strings.Cut(c, " ")
		if e.types[typ] != "" {
			typ = e.types[typ]
		}
		defs[i] = e.quote(n) + " " + typ
	}
	db.Exec(t, "CREATE TABLE "+e.quote(name)+" ("+strings.Join(defs, ", ")+")")
	for _, r := range rows {
		db.Exec(t, "INSERT INTO "+e.quote(name)+" VALUES ("+r+")")
	}
}

var (
	ordersCols    = []string{"order_id text", "customer_id text", "order_date date", "amount money", "cost money", "recurring text", "kind text"}
	customersCols = []string{"customer_id text", "acquired_date date", "churned_date date"}
)

// valid creates orders and customers that load.
func (e engine) valid(t *testing.T, db *sqltest.DB) {
	t.Helper()
	e.create(t, db, "orders", ordersCols,
		"'O1', 'C1', '2026-10-02', 100.5, 50, 'yes', 'new'",
		"'O2', 'C2', '2026-10-03', -20, -10, NULL, 'Upsell'",
		"'O3', 'C1', '2026-09-30', 7, 1, 'false', NULL")
	e.create(t, db, "customers", customersCols, "'C1', '2026-01-01', NULL", "'C2', '2026-10-01', '2026-10-20'")
}

var october = kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10})

func (e engine) load(t *testing.T, db *sqltest.DB, tables map[string]sources.Table) (*kpi.Data, error) {
	t.Helper()
	src, err := e.open(sources.Options{Type: e.name, Location: time.UTC, Tables: tables}, db.DSN)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return src.Load(context.Background(), october)
}

func TestLoadSmall(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			e.valid(t, db)
			data, err := e.load(t, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := data.Windows[october.Period.Range()]
			if m.Revenue.String() != "80.5" || m.GrossSales.String() != "100.5" || m.SalesCount != 1 ||
				m.RecurringRevenue.String() != "100.5" || m.ExpansionRevenue.String() != "-20" || m.Buyers != 1 ||
				m.NewCustomers != 1 || m.CustomersStart != 1 || m.CustomersEnd != 1 {
				t.Errorf("October: %+v", m)
			}
			if data.Has != (kpi.Availability{Cost: true}) {
				t.Errorf("Has = %+v, want only cost", data.Has)
			}
		})
	}
}

func TestColumnErrors(t *testing.T) {
	tests := []struct {
		name      string
		orders    []string // columns of orders
		tables    map[string]sources.Table
		column    string
		query     string // in the error; "" for SELECT * FROM orders
		want      error
		wantWords string
	}{
		{name: "missing amount", orders: []string{"order_id text", "customer_id text", "order_date date"},
			column: "amount", want: sources.ErrMissingColumn, wantWords: "missing; query"},
		{name: "amount is text", orders: []string{"order_id text", "customer_id text", "order_date date", "amount text"},
			column: "amount", want: sqlagg.ErrColumnType, wantWords: "is not a decimal"},
		{name: "amount is float", orders: []string{"order_id text", "customer_id text", "order_date date", "amount float"},
			column: "amount", want: sqlagg.ErrColumnType, wantWords: "is not exact"},
		{name: "order_date is text", orders: []string{"order_id text", "customer_id text", "order_date text", "amount money"},
			column: "order_date", want: sqlagg.ErrColumnType, wantWords: "is not a date or timestamp"},
		{name: "kind is a number", orders: []string{"order_id text", "customer_id text", "order_date date", "amount money", "kind int"},
			column: "kind", want: sqlagg.ErrColumnType, wantWords: "is not text"},
		{name: "query without customer_id", orders: ordersCols,
			tables: map[string]sources.Table{"orders": {Query: "SELECT order_id, order_date, amount FROM orders"}},
			column: "customer_id", query: "SELECT order_id, order_date, amount FROM orders", want: sources.ErrMissingColumn},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := e.db(t)
					e.create(t, db, "orders", tt.orders)
					e.create(t, db, "customers", customersCols)
					_, err := e.load(t, db, tt.tables)
					var ce *sqlagg.ColumnError
					if !errors.As(err, &ce) || !errors.Is(err, tt.want) {
						t.Fatalf("err = %v, want a ColumnError wrapping %v", err, tt.want)
					}
					t.Log(err)
					query := tt.query
					if query == "" {
						query = "SELECT * FROM " + e.quote("orders")
					}
					if ce.Table != "orders" || ce.Column != tt.column || ce.Query != query {
						t.Errorf("error names table %s column %s query %q; want orders, %s, %q", ce.Table, ce.Column, ce.Query, tt.column, query)
					}
					for _, w := range []string{"table orders", "column " + tt.column, query, tt.wantWords} {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("%q does not say %q", err, w)
						}
					}
				})
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e engine, t *testing.T, db *sqltest.DB)
		table  string
		column string
		value  string
		id     string
		want   error
	}{
		{name: "duplicate order id", table: "orders", column: "order_id", value: "O1", want: sources.ErrDuplicateID,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O1', 'C2', '2024-01-01', 1, 1, NULL, NULL)")
			}},
		{name: "ids that differ in case are not duplicates", table: "",
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('o1', 'C2', '2024-01-01', 1, 1, NULL, NULL)")
				db.Exec(t, "INSERT INTO orders VALUES ('O1 ', 'C2', '2024-01-01', 1, 1, NULL, NULL)")
			}},
		{name: "duplicate customer", table: "customers", column: "customer_id", value: "C2", want: sources.ErrDuplicateID,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO customers VALUES ('C2', '2020-01-01', NULL)")
			}},
		{name: "NULL customer_id", table: "orders", column: "customer_id", id: `order_id "O9"`, want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', NULL, '2020-01-01', 1, 1, NULL, NULL)")
			}},
		{name: "empty customer_id", table: "orders", column: "customer_id", id: `order_id "O9"`, want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', '', '2020-01-01', 1, 1, NULL, NULL)")
			}},
		{name: "NULL cost while the column is there", table: "orders", column: "cost", id: `order_id "O9"`, want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', 'C1', '2020-01-01', 1, NULL, NULL, NULL)")
			}},
		{name: "unknown kind", table: "orders", column: "kind", value: "gift", id: `order_id "O9"`, want: sources.ErrBadEnum,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', 'C1', '2030-01-01', 1, 1, NULL, 'gift')")
			}},
		{name: "kind with a trailing space", table: "orders", column: "kind", value: "new ", id: `order_id "O9"`, want: sources.ErrBadEnum,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', 'C1', '2030-01-01', 1, 1, NULL, 'new ')")
			}},
		{name: "recurring is not a bool", table: "orders", column: "recurring", value: "maybe", id: `order_id "O9"`, want: sources.ErrBadEnum,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "INSERT INTO orders VALUES ('O9', 'C1', '2026-10-05', 1, 1, 'maybe', NULL)")
			}},
		{name: "more than 4 fraction digits", table: "orders", column: "amount", value: "1.23456", id: `order_id "O9"`, want: money.ErrPrecision,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				db.Exec(t, "DROP TABLE orders")
				cols := append([]string{}, ordersCols...)
				cols[3] = "amount num"
				e.create(t, db, "orders", cols, "'O9', 'C1', '2026-10-05', 1.23456, 1, NULL, NULL", "'O8', 'C1', '2026-10-05', 1.2345, 1, NULL, NULL")
			}},
		{name: "negative deal value", table: "deals", column: "value", value: "-1", id: `deal_id "D2"`, want: sources.ErrNegative,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				e.create(t, db, "deals", []string{"deal_id text", "created_date date", "closed_date date", "status text", "value money"},
					"'D1', '2026-10-01', '2026-10-05', 'won', 10", "'D2', '2026-10-01', NULL, 'open', -1")
			}},
		{name: "won deal without closed date", table: "deals", column: "closed_date", id: `deal_id "D2"`, want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				e.create(t, db, "deals", []string{"deal_id text", "created_date date", "closed_date date", "status text", "value money"},
					"'D1', '2026-10-01', '2026-10-05', 'won', 10", "'D2', '2026-10-01', NULL, 'Won', 5")
			}},
		{name: "deals without a closed_date column", table: "deals", column: "closed_date", id: `deal_id "D2"`, want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				e.create(t, db, "deals", []string{"deal_id text", "created_date date", "status text", "value money"},
					"'D1', '2026-10-01', 'open', 10", "'D2', '2026-10-01', 'lost', 5")
			}},
		{name: "missing spend category", table: "spend", column: "category", want: sources.ErrEmptyRequired,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				e.create(t, db, "spend", []string{"spend_date date", "category text", "amount money"},
					"'2026-10-01', 'Marketing', 10", "'2026-10-01', NULL, 5")
			}},
		{name: "bad call direction", table: "calls", column: "direction", value: "sideways", id: `call_id "K2"`, want: sources.ErrBadEnum,
			setup: func(e engine, t *testing.T, db *sqltest.DB) {
				e.create(t, db, "calls", []string{"call_id text", "call_date ts", "direction text"},
					"'K1', '2026-10-01', NULL", "'K2', '2026-10-01', 'sideways'", "'K1', '2026-10-02', 'INBOUND'")
			}},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := e.db(t)
					e.valid(t, db)
					tt.setup(e, t, db)
					_, err := e.load(t, db, nil)
					if tt.table == "" {
						if err != nil {
							t.Fatal(err)
						}
						return
					}
					var ve *sqlagg.ValueError
					if !errors.As(err, &ve) || !errors.Is(err, tt.want) {
						t.Fatalf("err = %v, want a ValueError wrapping %v", err, tt.want)
					}
					t.Log(err)
					if ve.Table != tt.table || ve.Column != tt.column || ve.Value != tt.value || ve.ID != tt.id {
						t.Errorf("got table %s column %s value %q id %q; want %s %s %q %q", ve.Table, ve.Column, ve.Value, ve.ID, tt.table, tt.column, tt.value, tt.id)
					}
					if !strings.HasPrefix(err.Error(), "table "+tt.table+" column "+tt.column+": ") {
						t.Errorf("error %q does not start with the table and column", err)
					}
				})
			}
		})
	}
}

func TestTables(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			e.valid(t, db)
			tests := []struct {
				name   string
				tables map[string]sources.Table
				want   error
			}{
				{"injection through a table name is quoted", map[string]sources.Table{
					"customers": {Name: "customers\"; DROP TABLE orders; --"}}, sources.ErrMissingTable},
				{"injection with backticks", map[string]sources.Table{
					"customers": {Name: "customers`; DROP TABLE orders; --"}}, sources.ErrMissingTable},
				{"optional table named but missing", map[string]sources.Table{"leads": {Name: "crm.leads"}}, sources.ErrMissingTable},
				{"three-part name", map[string]sources.Table{"orders": {Name: "a.b.c"}}, sources.ErrOptions},
				{"file override", map[string]sources.Table{"orders": {File: "orders.csv"}}, sources.ErrOptions},
				{"unknown table", map[string]sources.Table{"invoices": {Name: "x"}}, sources.ErrOptions},
				{"schema-qualified name", map[string]sources.Table{"customers": {Name: db.Name + ".customers"}}, nil},
				{"query with a trailing semicolon and comment", map[string]sources.Table{
					"orders": {Query: "SELECT * FROM orders WHERE amount > 0 -- positive only\n;"}}, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := e.load(t, db, tt.tables)
					if !errors.Is(err, tt.want) {
						t.Fatalf("err = %v, want %v", err, tt.want)
					}
				})
			}
			var n int
			if err := db.SQL.QueryRow("SELECT COUNT(*) FROM orders").Scan(&n); err != nil || n != 3 {
				t.Fatalf("orders after the injection attempts: %d rows, %v", n, err)
			}
			if _, err := e.load(t, db, map[string]sources.Table{"leads": {}}); err != nil {
				t.Fatalf("no leads table and no override: %v", err)
			}
		})
	}
}

func TestMissingRequiredTable(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			e.create(t, db, "orders", ordersCols)
			_, err := e.load(t, db, nil)
			if !errors.Is(err, sources.ErrMissingTable) || !strings.Contains(err.Error(), "customers") {
				t.Fatalf("err = %v, want a missing customers table", err)
			}
		})
	}
}

// TestExplainRuns runs the statements Explain shows in a shell-like session (one
// multi-statement text) and checks that they hold neither the DSN nor a splice of the
// period's bounds.
func TestExplainRuns(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			e.valid(t, db)
			e.create(t, db, "calls", []string{"call_id text", "call_date ts", "direction text"}, "'K1', '2026-10-01', NULL")
			src, err := e.open(sources.Options{Type: e.name, Location: time.UTC}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			stmts, err := src.Explain(context.Background(), october)
			if err != nil {
				t.Fatal(err)
			}
			script := strings.Join(stmts, "\n")
			for _, want := range []string{"PREPARE kpireport_orders_1", "EXECUTE kpireport_calls_1", "READ ONLY", "-- leads: no such table"} {
				if !strings.Contains(script, want) {
					t.Errorf("Explain lacks %q", want)
				}
			}
			if strings.Contains(script, db.DSN) {
				t.Error("Explain shows the DSN")
			}
			for _, st := range stmts {
				_, prepared, _ := strings.Cut(st, "PREPARE ")
				if q, _, ok := strings.Cut(prepared, "EXECUTE "); ok && strings.Contains(q, "2026-10-01") {
					t.Errorf("a bound is in the statement text, not a parameter:\n%s", q)
				}
			}
			dsn := db.DSN
			if e.name == "mysql" {
				cfg, err := mysqldriver.ParseDSN(dsn)
				if err != nil {
					t.Fatal(err)
				}
				cfg.MultiStatements = true
				dsn = cfg.FormatDSN()
			}
			shell, err := sql.Open(map[string]string{"postgres": "pgx", "mysql": "mysql"}[e.name], dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer shell.Close()
			if _, err := shell.Exec(script); err != nil {
				t.Fatalf("the script does not run: %v\n%s", err, script)
			}
		})
	}
}
