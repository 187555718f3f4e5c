package sqlite

import (
	"context"
	"database/sql"
	stdcsv "encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/csv"
)

var (
	amsterdam   = mustLoadLocation("Europe/Amsterdam")
	october     = period.Period{Kind: period.Month, Year: 2026, N: 10}
	sumComparer = cmp.Comparer(func(a, b money.Sum) bool { return a.String() == b.String() })
)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// declared gives the SQL type of a fixture column, so that the database holds
// INTEGER, REAL, NUMERIC, DATE and TEXT values: dates are DATETIME (the driver returns
// times), amounts REAL, cost NUMERIC (integers and reals), the rest TEXT.
func declared(col string) string {
	switch {
	case strings.HasSuffix(col, "_date"):
		return "DATETIME"
	case col == "amount" || col == "value":
		return "REAL"
	case col == "cost":
		return "NUMERIC"
	}
	return "TEXT"
}

// createDB writes the CSV files of dir into a new SQLite database, one table per file,
// empty cells as NULL, and returns its path.
func createDB(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sales.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		records, err := stdcsv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		insertTable(t, db, strings.TrimSuffix(e.Name(), ".csv"), records[0], records[1:])
	}
	return path
}

func insertTable(t *testing.T, db *sql.DB, table string, header []string, rows [][]string) {
	t.Helper()
	var cols, marks []string
	for _, h := range header {
		cols = append(cols, strconv.Quote(h)+" "+declared(h))
		marks = append(marks, "?")
	}
	if _, err := db.Exec("CREATE TABLE " + table + " (" + strings.Join(cols, ", ") + ")"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		args := make([]any, len(r))
		for i, v := range r {
			switch {
			case v == "":
				args[i] = nil
			case declared(header[i]) == "REAL":
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				args[i] = f
			default:
				args[i] = v
			}
		}
		if _, err := db.Exec("INSERT INTO "+table+" VALUES ("+strings.Join(marks, ", ")+")", args...); err != nil {
			t.Fatal(err)
		}
	}
}

func load(t *testing.T, opt sources.Options) (*kpi.Data, error) {
	t.Helper()
	opt.Type = "sqlite"
	opt.Location = amsterdam
	src, err := sources.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	}()
	return src.Load(context.Background(), kpi.NewPlan(october))
}

func loadCSV(t *testing.T, dir string) *kpi.Data {
	t.Helper()
	src, err := csv.Open(sources.Options{Type: "csv", Dir: dir, Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	data, err := src.Load(context.Background(), kpi.NewPlan(october))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSameAsCSV loads the CSV fixture and the same data in SQLite.
func TestSameAsCSV(t *testing.T) {
	want := loadCSV(t, "../testdata/valid")
	path := createDB(t, "../testdata/valid")
	tests := []struct {
		name   string
		tables map[string]sources.Table
		setup  func(db *sql.DB) error
	}{
		{name: "tables"},
		{name: "renamed table", tables: map[string]sources.Table{"orders": {Name: "sales"}},
			setup: func(db *sql.DB) error { _, err := db.Exec("ALTER TABLE orders RENAME TO sales"); return err }},
		{name: "query", tables: map[string]sources.Table{"customers": {Query: `
			SELECT id AS customer_id, since AS acquired_date, until AS churned_date, area AS region
			FROM clients`}},
			setup: func(db *sql.DB) error {
				_, err := db.Exec(`CREATE TABLE clients AS SELECT customer_id AS id, acquired_date AS since,
					churned_date AS until, region AS area, 'ignored' AS note FROM customers;
					DROP TABLE customers`)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := path
			if tt.setup != nil {
				db = filepath.Join(t.TempDir(), "copy.db")
				copyFile(t, path, db)
				conn, err := sql.Open("sqlite", db)
				if err != nil {
					t.Fatal(err)
				}
				if err := tt.setup(conn); err != nil {
					t.Fatal(err)
				}
				conn.Close()
			}
			got, err := load(t, sources.Options{Path: db, Tables: tt.tables})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, sumComparer); diff != "" {
				t.Errorf("SQLite data differs from CSV (-want +got):\n%s", diff)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	const ordersDDL = `CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount)`
	tests := []struct {
		name   string
		sql    string
		tables map[string]sources.Table
		want   string
		is     error
	}{
		{name: "bad decimal", sql: ordersDDL + `; INSERT INTO orders VALUES ('O1','C1','2026-10-01',1), ('O2','C1','2026-10-01','12,3.4')`,
			want: `table orders row 2 column amount: "12,3.4" is not a decimal`, is: money.ErrSyntax},
		{name: "null required value", sql: ordersDDL + `; INSERT INTO orders VALUES ('O1',NULL,'2026-10-01',1)`,
			want: `table orders row 1 column customer_id: missing value`, is: sources.ErrEmptyRequired},
		{name: "real with too many digits", sql: ordersDDL + `; INSERT INTO orders VALUES ('O1','C1','2026-10-01',0.123456)`,
			want: `table orders row 1 column amount: "0.123456" has more than 4 fraction digits`, is: money.ErrPrecision},
		{name: "duplicate id", sql: ordersDDL + `; INSERT INTO orders VALUES ('O1','C1','2026-10-01',1), ('O2','C1','2026-10-01',1), ('O1','C2','2026-10-02',2)`,
			want: `table orders row 3 column order_id: duplicate "O1" (first on row 1)`, is: sources.ErrDuplicateID},
		{name: "missing column", sql: `CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT)`,
			want: `table orders: sources: missing column "amount"`, is: sources.ErrMissingColumn},
		{name: "missing column in query", sql: ordersDDL,
			tables: map[string]sources.Table{"orders": {Query: "SELECT order_id, customer_id, order_date, amount AS total FROM orders"}},
			want:   `table orders: sources: missing column "amount" (columns found: "order_id", "customer_id", "order_date", "total") in the result of query "SELECT order_id, customer_id, order_date, amount AS total FROM orders"`,
			is:     sources.ErrMissingColumn},
		{name: "missing column lists those found", sql: `CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, Amt)`,
			want: `table orders: sources: missing column "amount" (columns found: "order_id", "customer_id", "order_date", "Amt")`, is: sources.ErrMissingColumn},
		{name: "missing orders", sql: `CREATE TABLE sales (x)`,
			want: `sources: missing table orders: no table "orders" in `, is: sources.ErrMissingTable},
		{name: "missing renamed table", sql: ordersDDL, tables: map[string]sources.Table{"deals": {Name: "opportunities"}},
			want: `sources: missing table deals: no table "opportunities" in `, is: sources.ErrMissingTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE customers (customer_id TEXT, acquired_date TEXT); ` + tt.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, err = load(t, sources.Options{Path: path, Tables: tt.tables})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Errorf("err = %v\nwant %s (%v)", err, tt.want, tt.is)
			}
		})
	}
}

func TestOptionalTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "min.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (customer_id TEXT, acquired_date DATE);
		CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date DATE, amount INTEGER, region TEXT);
		INSERT INTO customers VALUES ('C1', '2026-01-01');
		INSERT INTO orders VALUES ('O1', 'C1', '2026-10-31 23:30:00', 5, NULL), ('O2', 'C1', '2026-10-31T23:30:00Z', 7, '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := load(t, sources.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if data.Has != (kpi.Availability{}) {
		t.Errorf("Has = %+v, want nothing", data.Has)
	}
	// 23:30 local is still October; 23:30 UTC is 1 November in Amsterdam.
	if got := data.Windows[october.Range()].Revenue.String(); got != "5" {
		t.Errorf("October revenue = %s, want 5", got)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte("this is not a database, just some text long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		path string
		want string
	}{
		{"missing file", filepath.Join(dir, "missing.db"), "open sqlite database: stat " + filepath.Join(dir, "missing.db") + ": no such file or directory"},
		{"not a database", notDB, "open sqlite database " + notDB + ": file is not a database"},
		{"no path", "", "sources: bad options: sqlite: path is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(sources.Options{Type: "sqlite", Path: tt.path})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

// openSource opens the database at path as Load's caller would, with workers
// workers that each read ranges of rangeRows rows (0: one range per worker).
func openSource(t *testing.T, path string, workers int, rangeRows int64) *Source {
	t.Helper()
	src, err := Open(sources.Options{Type: "sqlite", Path: path, Location: amsterdam, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	src.rangeRows = rangeRows
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	})
	return src
}

// TestParallel reads the fixture in rowid ranges of two rows, by three workers, and
// compares the data with one reader's and the CSV source's: once with the dates in
// DATETIME columns (read by the driver) and once with NUM columns (read raw).
func TestParallel(t *testing.T) {
	want := loadCSV(t, "../testdata/valid")
	path := createDB(t, "../testdata/valid")
	untyped := filepath.Join(t.TempDir(), "untyped.db")
	copyFile(t, path, untyped)
	db, err := sql.Open("sqlite", untyped)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"orders", "customers", "leads", "deals", "spend", "calls"} {
		// CREATE TABLE AS declares a DATETIME column NUM: the driver gives text.
		if _, err := db.Exec("CREATE TABLE copy AS SELECT * FROM " + table + "; DROP TABLE " + table +
			"; ALTER TABLE copy RENAME TO " + table); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		path string
		raw  bool
	}{
		{"typed", path, false},
		{"untyped", untyped, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			one, err := openSource(t, tt.path, 1, 0).Load(ctx, kpi.NewPlan(october))
			if err != nil {
				t.Fatal(err)
			}
			src := openSource(t, tt.path, 3, 2)
			q, err := src.query(ctx, sources.SchemaOf("orders"))
			if err != nil {
				t.Fatal(err)
			}
			ranges, err := src.ranges(ctx, q, 3)
			if err != nil || len(ranges) < 3 || q.raw != tt.raw {
				t.Fatalf("orders: %d ranges, raw %v, err %v; want 3 or more, raw %v", len(ranges), q.raw, err, tt.raw)
			}
			got, err := src.Load(ctx, kpi.NewPlan(october))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(one, got, sumComparer); diff != "" {
				t.Errorf("parallel data differs from one reader's (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got, sumComparer); diff != "" {
				t.Errorf("parallel data differs from CSV (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParallelErrors checks that readers of rowid ranges report the first bad row of
// the table, numbered by its position among the rows, also when rowids are missing.
func TestParallelErrors(t *testing.T) {
	// Rows 1..12 are good; the deletes leave rowids 1, 4, 5, 6, ... so that row n
	// has rowid n+2 from the second row on.
	const good = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
		INSERT INTO orders SELECT 'O' || i, 'C1', '2026-10-01', 1 FROM n;
		DELETE FROM orders WHERE rowid IN (2, 3);`
	tests := []struct {
		name string
		sql  string
		want string
		is   error
	}{
		{name: "bad decimal in a later range", sql: good + `UPDATE orders SET amount = '12,3.4' WHERE rowid = 9`,
			want: `table orders row 7 column amount: "12,3.4" is not a decimal`, is: money.ErrSyntax},
		{name: "first of two bad rows", sql: good + `UPDATE orders SET amount = 'x' WHERE rowid = 12;
			UPDATE orders SET customer_id = NULL WHERE rowid = 6`,
			want: `table orders row 4 column customer_id: missing value`, is: sources.ErrEmptyRequired},
		{name: "bad row appended", sql: good + `INSERT INTO orders VALUES ('O13', 'C1', 'soon', 1)`,
			want: `table orders row 11 column order_date: "soon" is not a date`, is: nil},
		{name: "duplicate id across ranges", sql: good + `UPDATE orders SET order_id = 'O4' WHERE rowid = 11`,
			want: `table orders row 9 column order_id: duplicate "O4" (first on row 2)`, is: sources.ErrDuplicateID},
	}
	for _, table := range []struct{ name, ddl string }{
		{"raw", `CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount)`},
		{"driver", `CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date DATE, amount)`},
	} {
		for _, tt := range tests {
			t.Run(table.name+"/"+tt.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "bad.db")
				db, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`CREATE TABLE customers (customer_id TEXT, acquired_date TEXT); ` + table.ddl + `; ` + tt.sql); err != nil {
					t.Fatal(err)
				}
				db.Close()
				for _, workers := range []int{1, 2, 4} {
					_, err = openSource(t, path, workers, 3).Load(context.Background(), kpi.NewPlan(october))
					if err == nil || !strings.HasPrefix(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
						t.Errorf("%d workers: err = %v\nwant %s (%v)", workers, err, tt.want, tt.is)
					}
				}
			})
		}
	}
}

// TestAllTables checks that with Options.AllTables a bad row in one table does not
// hide the bad rows of the tables after it, and that without it the first one stops.
func TestAllTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount);
		INSERT INTO orders VALUES ('O1','C1','2026-10-01',1), ('O2','C1','2026-10-01','12,3.4');
		CREATE TABLE customers (customer_id TEXT, acquired_date TEXT);
		INSERT INTO customers VALUES ('C1','2026-13-01');
		CREATE TABLE deals (deal_id TEXT, created_date TEXT, closed_date TEXT, status TEXT, value);
		INSERT INTO deals VALUES ('D1','2026-10-01','2026-10-02','won',1), ('D2','2026-10-01',NULL,'maybe',1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := []string{
		`table orders row 2 column amount: "12,3.4" is not a decimal`,
		`table customers row 1 column acquired_date: "2026-13-01"`,
		`table deals row 2 column status: "maybe"`,
	}
	_, err = load(t, sources.Options{Path: path, AllTables: true})
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("AllTables: err = %v\nwant it to contain %s", err, w)
		}
	}
	if !errors.Is(err, money.ErrSyntax) {
		t.Errorf("AllTables: err = %v, want it to wrap money.ErrSyntax", err)
	}
	// The customers are read first (the orders are checked against them).
	_, err = load(t, sources.Options{Path: path})
	if err == nil || !strings.HasPrefix(err.Error(), want[1]) || strings.Contains(err.Error(), "orders") {
		t.Errorf("default: err = %v\nwant only %s", err, want[1])
	}
}
