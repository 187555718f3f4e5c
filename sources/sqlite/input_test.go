package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
)

// SQLite stores any bytes in a TEXT column. Text that is not valid UTF-8 (here
// Windows-1252 "Fryslân" and "€") is an error naming the table, row and column, with
// a fix, on the parallel raw path and on the driver's path (a query).
func TestEncodingNotUTF8(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tables map[string]sources.Table
		want   string
	}{
		{"table", nil, `table orders row 2 column region: "Frysl\xe2n" is not valid UTF-8 (byte 0xE2 at character 6): store the text as UTF-8 in the database, or convert it to UTF-8 in the table's query (source.tables.orders.query)`},
		{"query", map[string]sources.Table{"orders": {Query: "SELECT * FROM orders"}}, `table orders row 2 column region: "Frysl\xe2n" is not valid UTF-8`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "latin.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Exec(`CREATE TABLE customers (customer_id TEXT, acquired_date TEXT);
				INSERT INTO customers VALUES ('C1', '2025-01-01');
				CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount TEXT, region TEXT);
				INSERT INTO orders VALUES ('O1', 'C1', '2026-10-01', '1', 'North'),
					('O2', 'C1', '2026-10-01', '1', CAST(x'467279736CE26E' AS TEXT))`)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			for _, workers := range []int{1, 2} {
				_, err = load(t, sources.Options{Path: path, Tables: tt.tables, Workers: workers})
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, sources.ErrEncoding) {
					t.Errorf("workers %d: err = %v\nwant %s", workers, err, tt.want)
				}
			}
		})
	}
}

// Column names match in any case, as SQLite itself matches them.
func TestColumnNamesAnyCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE customers (Customer_ID TEXT PRIMARY KEY, ACQUIRED_DATE TEXT);
		INSERT INTO customers VALUES ('C1', '2025-01-01');
		CREATE TABLE orders (Order_Id TEXT, customer_id TEXT, order_date TEXT, Amount TEXT);
		INSERT INTO orders VALUES ('O1', 'C1', '2026-10-01', '12.5')`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := load(t, sources.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if m := data.Windows[october.Range()]; m.Revenue.String() != "12.5" {
		t.Errorf("revenue = %s, want 12.5", m.Revenue)
	}
}

// Orders of customers that are not in customers are counted and the first is named
// by its row in the whole table, however the table is split into ranges; with
// orphan_orders = "error" they are an error.
func TestOrphanOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orphans.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE customers (customer_id TEXT PRIMARY KEY, acquired_date TEXT) STRICT;
		INSERT INTO customers VALUES ('C1', '2025-01-01'), ('C2', '2025-01-01');
		CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
		INSERT INTO orders SELECT 'O' || i, CASE WHEN i = 345 OR i > 900 THEN 'C9' ELSE 'C' || (1 + i % 2) END, '2026-10-01', '1' FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := kpi.Warning{Code: kpi.WarnOrphanOrders, Count: 101, Example: "O345", Where: "table orders row 345"}
	for _, tt := range []struct {
		workers   int
		rangeRows int64
	}{{1, 0}, {3, 100}, {2, 0}} {
		src := openSource(t, path, tt.workers, tt.rangeRows)
		data, err := src.Load(context.Background(), kpi.NewPlan(october))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]kpi.Warning{want}, data.Warnings); diff != "" {
			t.Errorf("workers %d, range %d: warnings (-want +got):\n%s", tt.workers, tt.rangeRows, diff)
		}
		src.opt.OrphanOrders = sources.OrphanError
		_, err = src.Load(context.Background(), kpi.NewPlan(october))
		if err == nil || !errors.Is(err, sources.ErrOrphanOrders) || !strings.Contains(err.Error(), `101 orders have a customer_id that is not in customers, such as order "O345" (table orders row 345)`) {
			t.Errorf("workers %d, range %d: err = %v", tt.workers, tt.rangeRows, err)
		}
	}
}

// With AllTables (validate) the first 20 bad rows of a table are listed, numbered
// from the table's start however it is split into ranges, with the number of others.
func TestManyBadRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE customers (customer_id TEXT PRIMARY KEY, acquired_date TEXT) STRICT;
		INSERT INTO customers VALUES ('C1', '2025-01-01');
		CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date TEXT, amount TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
		INSERT INTO orders SELECT 'O' || i, 'C1', '2026-10-01', CASE WHEN i % 10 = 3 THEN '12,3.4' ELSE '1' END FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var want []string
	for i := 3; len(want) < 20; i += 10 {
		want = append(want, fmt.Sprintf(`table orders row %d column amount: "12,3.4" is not a decimal`, i))
	}
	want = append(want, "table orders: and 10 more bad rows")
	for _, tt := range []struct {
		workers   int
		rangeRows int64
	}{{1, 0}, {3, 25}} {
		src := openSource(t, path, tt.workers, tt.rangeRows)
		src.opt.AllTables = true
		_, err := src.Load(context.Background(), kpi.NewPlan(october))
		var re *sources.RowErrors
		if !errors.As(err, &re) {
			t.Fatalf("workers %d: err = %v, want *sources.RowErrors", tt.workers, err)
		}
		if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
			t.Errorf("workers %d, ranges of %d: (-want +got):\n%s", tt.workers, tt.rangeRows, diff)
		}
	}
}
