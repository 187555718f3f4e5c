package sqlagg_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/postgres"
	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
)

// Orders whose customer is not in customers are counted in the database: a warning
// naming the least such order_id, or an error with orphan_orders = "error".
func TestOrphanOrders(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			e.valid(t, db)
			data, err := e.load(t, db, nil)
			if err != nil || data.Warnings != nil {
				t.Fatalf("valid data: warnings %v, err %v", data, err)
			}
			db.Exec(t, "INSERT INTO orders VALUES ('O9', 'C-GHOST', '2026-10-05', 1, 1, NULL, NULL), ('O7', 'C-GHOST', '2026-10-06', 1, 1, NULL, NULL)")
			data, err = e.load(t, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []kpi.Warning{{Code: kpi.WarnOrphanOrders, Count: 2, Example: "O7", Where: "table orders"}}
			if diff := cmp.Diff(want, data.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			src, err := e.open(sources.Options{Type: e.name, Location: time.UTC, OrphanOrders: sources.OrphanError}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			_, err = src.Load(context.Background(), october)
			if err == nil || !errors.Is(err, sources.ErrOrphanOrders) || !strings.Contains(err.Error(), `2 orders have a customer_id that is not in customers, such as order "O7" (table orders)`) {
				t.Errorf("orphan_orders = error: err = %v", err)
			}
		})
	}
}

// Text that is not valid UTF-8 is an error naming the table and column: from a
// MySQL binary column, and from a PostgreSQL database in SQL_ASCII.
func TestNotUTF8(t *testing.T) {
	want := `table orders column region: sources: text is not valid UTF-8: "Frysl\xe2n": store the text as UTF-8 in the database, or convert it to UTF-8 in the table's query (source.tables.orders.query)`
	t.Run("mysql", func(t *testing.T) {
		e := engines[1]
		db := e.db(t)
		e.create(t, db, "orders", append(ordersCols, "region VARBINARY(32)"),
			"'O1', 'C1', '2026-10-02', 100.5, 50, 'yes', 'new', X'467279736CE26E'")
		e.create(t, db, "customers", customersCols, "'C1', '2026-01-01', NULL")
		_, err := e.load(t, db, nil)
		if err == nil || err.Error() != want || !errors.Is(err, sources.ErrEncoding) {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := sqlASCIIDatabase(t)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		for _, s := range []string{
			"CREATE TABLE orders (order_id TEXT, customer_id TEXT, order_date DATE, amount NUMERIC(18,4), region TEXT)",
			"INSERT INTO orders VALUES ('O1', 'C1', '2026-10-02', 1, E'Frysl\\xe2n')",
			"CREATE TABLE customers (customer_id TEXT, acquired_date DATE)",
			"INSERT INTO customers VALUES ('C1', '2026-01-01')",
		} {
			if _, err := admin.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		src, err := postgres.OpenDSN(sources.Options{Type: "postgres", Location: time.UTC}, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_, err = src.Load(context.Background(), october)
		if err == nil || err.Error() != want || !errors.Is(err, sources.ErrEncoding) {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
}

// sqlASCIIDatabase creates a PostgreSQL database in SQL_ASCII, which stores the bytes
// it is given, and returns its DSN; it is dropped when the test ends.
func sqlASCIIDatabase(t *testing.T) string {
	base := sqltest.DSN(t, sqltest.PostgresEnv)
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		t.Skipf("%s is not a URL", sqltest.PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "kpitest_ascii_" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")
	name += "_" + time.Now().Format("150405")
	if _, err := admin.Exec("CREATE DATABASE " + name + " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
