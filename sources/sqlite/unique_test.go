package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
)

// TestUniqueIDs checks which schemas make the reader trust the database to keep the
// order ids unique, and that where the database lets a duplicate in, it is found.
func TestUniqueIDs(t *testing.T) {
	const cols = `customer_id TEXT, order_date TEXT, amount`
	// dup is a row with an id that reads as "17", like row 17's; insertable is
	// whether the database takes it; skip whether the reader trusts the database.
	const dup = `'17', 'C2', '2026-10-02', 2`
	const blob = `X'3137', 'C2', '2026-10-02', 2`
	tests := []struct {
		name             string
		ddl, dup         string
		skip, insertable bool
	}{
		{"text primary key, strict", `CREATE TABLE orders (order_id TEXT PRIMARY KEY, ` + cols + ` ANY) STRICT`, dup, true, false},
		{"unique constraint, strict", `CREATE TABLE orders (order_id TEXT NOT NULL UNIQUE, ` + cols + ` ANY) STRICT`, dup, true, false},
		{"unique index, strict", `CREATE TABLE orders (order_id TEXT, ` + cols + ` ANY) STRICT; CREATE UNIQUE INDEX o ON orders (order_id)`, dup, true, false},
		{"without rowid, strict", `CREATE TABLE orders (order_id TEXT PRIMARY KEY, ` + cols + ` ANY) STRICT, WITHOUT ROWID`, dup, true, false},
		{"integer primary key", `CREATE TABLE orders (order_id INTEGER PRIMARY KEY, ` + cols + `)`, dup, true, false},
		{"integer primary key desc, not strict", `CREATE TABLE orders (order_id INTEGER PRIMARY KEY DESC, ` + cols + `)`, blob, false, true},
		{"unique, not strict", `CREATE TABLE orders (order_id TEXT UNIQUE, ` + cols + `)`, blob, false, true},
		{"plain index", `CREATE TABLE orders (order_id TEXT, ` + cols + ` ANY) STRICT; CREATE INDEX o ON orders (order_id)`, dup, false, true},
		{"partial unique index", `CREATE TABLE orders (order_id TEXT, ` + cols + ` ANY) STRICT; CREATE UNIQUE INDEX o ON orders (order_id) WHERE amount < 2`, dup, false, true},
		{"unique on two columns", `CREATE TABLE orders (order_id TEXT, ` + cols + ` ANY, UNIQUE (order_id, customer_id)) STRICT`, dup, false, true},
		{"unique on an expression", `CREATE TABLE orders (order_id TEXT, ` + cols + ` ANY) STRICT; CREATE UNIQUE INDEX o ON orders (lower(order_id))`, dup, false, false},
		{"no index", `CREATE TABLE orders (order_id TEXT, ` + cols + `)`, dup, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			path := filepath.Join(t.TempDir(), "orders.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE customers (customer_id TEXT, acquired_date TEXT); ` + tt.ddl + `;
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
				INSERT INTO orders SELECT i, 'C1', '2026-10-01', 1 FROM n`); err != nil {
				t.Fatal(err)
			}
			_, dupErr := db.Exec(`INSERT INTO orders VALUES (` + tt.dup + `)`)
			if tt.insertable != (dupErr == nil) {
				t.Fatalf("inserting a duplicate: err = %v", dupErr)
			}
			db.Close()
			for _, workers := range []int{1, 3} {
				src := openSource(t, path, workers, 256)
				src.idBudget = 16 * 100 // spills every 100 ids
				var mu sync.Mutex
				var checked []string
				src.onIDCheck = func(table string) {
					mu.Lock()
					defer mu.Unlock()
					checked = append(checked, table)
				}
				_, err := src.Load(context.Background(), kpi.NewPlan(october))
				if got := slices.Contains(checked, "orders"); got == tt.skip {
					t.Errorf("%d workers: orders ids checked: %v, want %v", workers, got, !tt.skip)
				}
				switch {
				case !tt.insertable && err != nil:
					t.Errorf("%d workers: %v", workers, err)
				case tt.insertable:
					const want = `table orders row 3001 column order_id: duplicate "17" (first on row 17)`
					if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, sources.ErrDuplicateID) {
						t.Errorf("%d workers: err = %v\nwant %s", workers, err, want)
					}
				}
				left, err := os.ReadDir(tmp)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range left {
					t.Errorf("left behind in the temporary folder: %s", e.Name())
				}
			}
		})
	}
}
