package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

// TestWatermarkEveryDateColumn: the watermark (Data.Latest) is the latest date of
// ANY date column of any table, so with every other date on 2026-07-01 and the one
// column under test on 2026-08-30, each source reports 2026-08-30 (tryout F13:
// customers.churned_date was ignored, so the data-quality gate said the data
// ends on the acquired date). CSV, SQLite, PostgreSQL and MySQL must agree.
func TestWatermarkEveryDateColumn(t *testing.T) {
	files := func(col string) map[string]string {
		d := func(c string) string {
			if c == col {
				return "2026-08-30"
			}
			return ""
		}
		return map[string]string{
			"orders.csv":    "order_id,customer_id,order_date,amount\no1,c1,2026-07-01,10.00\n",
			"customers.csv": "customer_id,acquired_date,churned_date\nc1,2026-07-01," + d("churned_date") + "\n",
			"leads.csv":     "lead_id,created_date,qualified_date,converted_date\nl1,2026-07-01," + d("qualified_date") + "," + d("converted_date") + "\n",
			"deals.csv":     "deal_id,created_date,closed_date,status,value\nd1,2026-07-01," + d("closed_date") + ",open,5.00\n",
		}
	}
	dateTypes := func(cols ...string) map[string]map[string]string {
		m := map[string]string{"amount": "DECIMAL(10,2)", "value": "DECIMAL(10,2)"}
		for _, c := range cols {
			m[c] = "DATE"
		}
		return map[string]map[string]string{"postgres": m, "mysql": m}
	}
	tables := []table{
		{file: "orders.csv", name: "orders", types: dateTypes("order_date")},
		{file: "customers.csv", name: "customers", types: dateTypes("acquired_date", "churned_date")},
		{file: "leads.csv", name: "leads", types: dateTypes("created_date", "qualified_date", "converted_date")},
		{file: "deals.csv", name: "deals", types: dateTypes("created_date", "closed_date")},
	}
	plan := plansOf(periods(t, "2026-07"))[0]
	for _, col := range []string{"churned_date", "qualified_date", "converted_date", "closed_date"} {
		t.Run(col, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range files(col) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			check := func(t *testing.T, name string, src sources.Source) {
				t.Helper()
				data, err := src.Load(context.Background(), plan)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := data.Latest.String(); got != "2026-08-30" {
					t.Errorf("%s: watermark %q, want 2026-08-30 (the latest %s)", name, got, col)
				}
			}
			csvSrc, err := sources.Open(sources.Options{Type: "csv", Dir: dir, Location: amsterdam})
			if err != nil {
				t.Fatal(err)
			}
			defer csvSrc.Close()
			check(t, "csv", csvSrc)
			check(t, "sqlite", sqliteOf(t, dir))
			for _, e := range engines {
				t.Run(e.name, func(t *testing.T) {
					db := e.db(t)
					load(t, db, dir, tables)
					src, err := e.open(sources.Options{Type: e.name, Location: amsterdam}, db.DSN)
					if err != nil {
						t.Fatal(err)
					}
					defer src.Close()
					check(t, e.name, src)
				})
			}
		})
	}
}

// TestWatermarkFutureRows: rows dated after the run's today (Plan.Today) are not
// the watermark (tryout F31: one order dated 2062 for 2026 made every export look
// fresh), they are one WarnFutureRows warning: the number of rows with a date after
// today, the latest such date and its table. A date on today itself counts. CSV,
// SQLite, PostgreSQL and MySQL must agree.
func TestWatermarkFutureRows(t *testing.T) {
	files := map[string]string{
		"orders.csv":    "order_id,customer_id,order_date,amount\no1,c1,2026-07-01,10.00\no2,c1,2062-08-30,10.00\no3,c1,2026-08-31,10.00\n",
		"customers.csv": "customer_id,acquired_date,churned_date\nc1,2026-07-01,2063-01-01\n",
		"leads.csv":     "lead_id,created_date,qualified_date,converted_date\nl1,2026-07-01,,\n",
		"deals.csv":     "deal_id,created_date,closed_date,status,value\nd1,2026-07-01,2026-09-01,open,5.00\n",
	}
	dateTypes := func(cols ...string) map[string]map[string]string {
		m := map[string]string{"amount": "DECIMAL(10,2)", "value": "DECIMAL(10,2)"}
		for _, c := range cols {
			m[c] = "DATE"
		}
		return map[string]map[string]string{"postgres": m, "mysql": m}
	}
	tables := []table{
		{file: "orders.csv", name: "orders", types: dateTypes("order_date")},
		{file: "customers.csv", name: "customers", types: dateTypes("acquired_date", "churned_date")},
		{file: "leads.csv", name: "leads", types: dateTypes("created_date", "qualified_date", "converted_date")},
		{file: "deals.csv", name: "deals", types: dateTypes("created_date", "closed_date")},
	}
	plan := *plansOf(periods(t, "2026-07"))[0]
	plan.Today = period.FromYMD(2026, time.August, 31)
	want := []kpi.Warning{{Code: kpi.WarnFutureRows, Count: 3, Example: "2063-01-01", Where: "customers"}}
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, name string, src sources.Source) {
		t.Helper()
		data, err := src.Load(context.Background(), &plan)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := data.Latest.String(); got != "2026-08-31" {
			t.Errorf("%s: watermark %q, want 2026-08-31 (today; later rows are in the future)", name, got)
		}
		if !slices.Equal(data.Warnings, want) {
			t.Errorf("%s: warnings %+v, want %+v", name, data.Warnings, want)
		}
	}
	csvSrc, err := sources.Open(sources.Options{Type: "csv", Dir: dir, Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	defer csvSrc.Close()
	check(t, "csv", csvSrc)
	check(t, "sqlite", sqliteOf(t, dir))
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			load(t, db, dir, tables)
			src, err := e.open(sources.Options{Type: e.name, Location: amsterdam}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			check(t, e.name, src)
		})
	}
}
