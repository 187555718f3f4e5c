package demo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testEnd is a fixed End in the middle of a month, after the October DST change.
var testEnd = time.Date(2026, time.November, 12, 9, 30, 0, 0, time.UTC)

func testOptions(dir, format string, orders int) Options {
	return Options{Dir: dir, Orders: orders, Seed: 7, Format: format, End: testEnd, Timezone: "Europe/Amsterdam"}
}

// readTree returns the contents of every file under dir, by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, format := range []string{FormatCSV, FormatSQLite} {
		t.Run(format, func(t *testing.T) {
			var trees [2]map[string][]byte
			for i := range trees {
				dir := filepath.Join(t.TempDir(), "demo")
				if _, err := Generate(context.Background(), testOptions(dir, format, 3000)); err != nil {
					t.Fatal(err)
				}
				trees[i] = readTree(t, dir)
			}
			if len(trees[0]) == 0 {
				t.Fatal("no files written")
			}
			for name, b := range trees[0] {
				if !bytes.Equal(b, trees[1][name]) {
					t.Errorf("%s differs between two runs with the same options", name)
				}
			}
			if len(trees[0]) != len(trees[1]) {
				t.Errorf("runs wrote %d and %d files", len(trees[0]), len(trees[1]))
			}
		})
	}
}

func TestGenerateDifferentSeedsDiffer(t *testing.T) {
	a := testOptions(filepath.Join(t.TempDir(), "a"), FormatCSV, 1000)
	b := a
	b.Dir, b.Seed = filepath.Join(t.TempDir(), "b"), 8
	for _, opt := range []Options{a, b} {
		if _, err := Generate(context.Background(), opt); err != nil {
			t.Fatal(err)
		}
	}
	ta, tb := readTree(t, a.Dir), readTree(t, b.Dir)
	if bytes.Equal(ta["data/orders.csv"], tb["data/orders.csv"]) {
		t.Error("seeds 7 and 8 gave the same orders")
	}
}

func TestGenerateResult(t *testing.T) {
	tests := []struct {
		name     string
		format   string
		orders   int
		dataPath string
		want     map[string]int
	}{
		{"csv minimum", FormatCSV, 3000, "data", map[string]int{"customers": 200, "orders": 3000, "leads": 400, "deals": 150, "spend": 221, "calls": 800}},
		{"sqlite minimum", FormatSQLite, 3000, "data/kpireport.db", map[string]int{"customers": 200, "orders": 3000, "leads": 400, "deals": 150, "spend": 221, "calls": 800}},
		{"csv scaled", FormatCSV, 40000, "data", map[string]int{"customers": 1000, "orders": 40000, "leads": 5000, "deals": 2000, "spend": 221, "calls": 10000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := Generate(context.Background(), testOptions(dir, tt.format, tt.orders))
			if err != nil {
				t.Fatal(err)
			}
			want := Result{ConfigPath: filepath.Join(dir, "kpireport.toml"), DataPath: filepath.Join(dir, filepath.FromSlash(tt.dataPath)), Rows: tt.want}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			var names []string
			for name := range readTree(t, dir) {
				names = append(names, name)
			}
			for _, name := range names {
				if strings.Contains(filepath.Base(name), ".tmp") {
					t.Errorf("temporary file %s left behind", name)
				}
			}
		})
	}
}

func TestConfigGolden(t *testing.T) {
	for _, format := range []string{FormatCSV, FormatSQLite} {
		t.Run(format, func(t *testing.T) {
			opt := testOptions(t.TempDir(), format, 20000)
			opt.Seed = 0 // the default, 1
			res, err := Generate(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(res.ConfigPath)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "kpireport-"+format+".toml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// countdownContext is cancelled after its Err has been asked n times, so a
// test can cancel a run at a chosen point without timing.
type countdownContext struct {
	context.Context
	n atomic.Int64
}

func (c *countdownContext) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestGenerateCancelledLeavesNoFiles(t *testing.T) {
	for _, format := range []string{FormatCSV, FormatSQLite} {
		for _, checks := range []int64{0, 1, 2, 4, 8} {
			t.Run(format+"/"+strconv.FormatInt(checks, 10), func(t *testing.T) {
				root := t.TempDir()
				ctx := &countdownContext{Context: context.Background()}
				ctx.n.Store(checks)
				_, err := Generate(ctx, testOptions(filepath.Join(root, "demo"), format, 60000))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Generate = %v, want context.Canceled", err)
				}
				if files := readTree(t, root); len(files) > 0 {
					t.Errorf("files left behind: %v", keys(files))
				}
				if _, err := os.Stat(filepath.Join(root, "demo")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("created folder left behind: %v", err)
				}
			})
		}
	}
}

func TestGenerateKeepsExistingFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, testOptions(dir, FormatCSV, 100)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff([]string{"notes.txt"}, keys(readTree(t, dir))); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestGenerateInvalidOptions(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]Options{
		"no dir":        {End: testEnd},
		"no end":        {Dir: dir},
		"bad format":    {Dir: dir, End: testEnd, Format: "xlsx"},
		"bad timezone":  {Dir: dir, End: testEnd, Timezone: "Mars/Olympus_Mons"},
		"negative":      {Dir: dir, End: testEnd, Orders: -1},
		"question mark": {Dir: filepath.Join(dir, "what?"), End: testEnd},
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Generate(context.Background(), opt); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("Generate = %v, want ErrInvalidOptions", err)
			}
		})
	}
	if files := readTree(t, dir); len(files) > 0 {
		t.Errorf("files written: %v", keys(files))
	}
}

func TestSQLiteMatchesCSV(t *testing.T) {
	csvDir, sqlDir := t.TempDir(), t.TempDir()
	for _, opt := range []Options{testOptions(csvDir, FormatCSV, 3000), testOptions(sqlDir, FormatSQLite, 3000)} {
		if _, err := Generate(context.Background(), opt); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(sqlDir, "data", "kpireport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tab := range tables {
		t.Run(tab.name, func(t *testing.T) {
			want := readCSV(t, filepath.Join(csvDir, "data", tab.name+".csv"))
			got := [][]string{tab.columnNames()}
			rows, err := db.Query("SELECT " + strings.Join(tab.columnNames(), ", ") + " FROM " + tab.name + " ORDER BY rowid")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				vals := make([]sql.NullString, len(tab.columns))
				ptrs := make([]any, len(vals))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				rec := make([]string, len(vals))
				for i, v := range vals {
					if v.Valid && v.String == "" {
						t.Fatalf("column %s holds an empty string, want NULL", tab.columns[i].name)
					}
					rec[i] = v.String
				}
				got = append(got, rec)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sqlite differs from csv (-csv +sqlite):\n%s", diff)
			}
		})
	}
	var indexes []string
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, name)
	}
	if diff := cmp.Diff([]string{"customers_customer_id", "deals_deal_id", "leads_lead_id", "orders_order_date", "orders_order_id"}, indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return records
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
