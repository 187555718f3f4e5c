package conformance_test

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/demo"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	_ "github.com/kpireport/kpireport/sources/csv"
	"github.com/kpireport/kpireport/sources/mysql"
	"github.com/kpireport/kpireport/sources/postgres"
	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
	_ "github.com/kpireport/kpireport/sources/sqlite"
)

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// engine is an SQL database kind under test.
type engine struct {
	name string
	db   func(testing.TB) *sqltest.DB
	open func(sources.Options, string) (sources.Source, error)
}

var engines = []engine{
	{"postgres", sqltest.NewPostgres, func(o sources.Options, dsn string) (sources.Source, error) { return postgres.OpenDSN(o, dsn) }},
	{"mysql", sqltest.NewMySQL, func(o sources.Options, dsn string) (sources.Source, error) { return mysql.OpenDSN(o, dsn) }},
}

// table says how one CSV file is loaded: into which table, with which column types
// (per engine) and primary key.
type table struct {
	file, name, pk string
	types          map[string]map[string]string // engine → column → SQL type
}

// load loads the tables from dir into db.
func load(t *testing.T, db *sqltest.DB, dir string, tables []table) {
	t.Helper()
	for _, tb := range tables {
		db.LoadCSV(t, filepath.Join(dir, tb.file), tb.name, tb.types[db.Flavor], tb.pk, amsterdam)
	}
}

// sqliteOf returns an SQLite source of a new database with the CSV files of dir as
// tables of the same names, every value as the text of the file (an empty cell is
// NULL), so that the SQLite reader parses them as the CSV reader does.
func sqliteOf(t *testing.T, dir string) sources.Source {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".csv")
		header := records[0]
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
		cols := make([]string, len(header))
		marks := make([]string, len(header))
		for i, h := range header {
			cols[i], marks[i] = `"`+h+`" TEXT`, "?"
		}
		if _, err := db.Exec(`CREATE TABLE "` + name + `" (` + strings.Join(cols, ", ") + `)`); err != nil {
			t.Fatal(err)
		}
		insert := `INSERT INTO "` + name + `" VALUES (` + strings.Join(marks, ", ") + `)`
		for _, rec := range records[1:] {
			args := make([]any, len(rec))
			for i, v := range rec {
				if v != "" {
					args[i] = v
				}
			}
			if _, err := db.Exec(insert, args...); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
		}
	}
	src, err := sources.Open(sources.Options{Type: "sqlite", Path: path, Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	})
	return src
}

// labels parses period labels.
func periods(t *testing.T, labels ...string) []period.Period {
	t.Helper()
	var ps []period.Period
	for _, l := range labels {
		p, err := period.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// compare loads every plan from the CSV source and from got, and requires the same
// kpi.Data and the same KPI JSON.
func compare(t *testing.T, csvDir string, got sources.Source, plans []*kpi.Plan) {
	t.Helper()
	want, err := sources.Open(sources.Options{Type: "csv", Dir: csvDir, Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, plan := range plans {
		wantData, err := want.Load(ctx, plan)
		if err != nil {
			t.Fatalf("csv %s: %v", plan.Period, err)
		}
		if wantData.Latest == kpi.NoRows {
			t.Errorf("csv %s: no watermark (Data.Latest) from tables with rows", plan.Period)
		}
		gotData, err := got.Load(ctx, plan)
		if err != nil {
			t.Fatalf("%s: %v", plan.Period, err)
		}
		if diff := gocmp.Diff(normalize(wantData), normalize(gotData)); diff != "" {
			t.Errorf("%s: measures differ from the CSV source (-csv +sql):\n%s", plan.Period, diff)
			continue
		}
		if len(plan.Windows) > 40 {
			continue // a synthetic plan: kpi.Compute needs the windows of a real one
		}
		wantJSON, gotJSON := report(t, plan, wantData), report(t, plan, gotData)
		if diff := gocmp.Diff(wantJSON, gotJSON); diff != "" {
			t.Errorf("%s: KPI JSON differs from the CSV source (-csv +sql):\n%s", plan.Period, diff)
		}
	}
}

// report returns the KPI JSON of data.
func report(t *testing.T, plan *kpi.Plan, data *kpi.Data) string {
	t.Helper()
	rep, err := kpi.Compute(plan, data, kpi.Options{}, amsterdam)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// normalized is kpi.Data with exact sums as text, so that two equal sums compare equal
// whatever their representation.
type normalized struct {
	Windows  map[string]string
	Has      kpi.Availability
	ByRep    []string
	ByRegion []string
	Latest   string // the watermark: the latest row date of any table, also outside the plan
}

func normalize(d *kpi.Data) normalized {
	n := normalized{Windows: make(map[string]string), Has: d.Has}
	for w, m := range d.Windows {
		n.Windows[w.String()] = fmt.Sprintf("revenue=%s gross=%s sales=%d cost=%s buyers=%d recurring=%s expansion=%s "+
			"new=%d start=%d lost=%d end=%d spend=%s won=%d won_value=%s cycle=%d leads=%d converted=%d qualified=%d calls=%d",
			m.Revenue, m.GrossSales, m.SalesCount, m.Cost, m.Buyers, m.RecurringRevenue, m.ExpansionRevenue,
			m.NewCustomers, m.CustomersStart, m.CustomersLost, m.CustomersEnd, m.Spend, m.WonDeals, m.WonValue,
			m.CycleDays, m.LeadsCreated, m.LeadsConverted, m.QualifiedLeads, m.SalesCalls)
	}
	dims := func(ds []kpi.DimMeasures) []string {
		var out []string
		for _, x := range ds {
			out = append(out, fmt.Sprintf("%q revenue=%s sales=%d won=%d won_value=%s cycle=%d calls=%d qualified=%d leads=%d converted=%d",
				x.Name, x.Revenue, x.SalesCount, x.WonDeals, x.WonValue, x.CycleDays, x.SalesCalls, x.QualifiedLeads, x.LeadsCreated, x.LeadsConverted))
		}
		return out
	}
	n.ByRep, n.ByRegion = dims(d.ByRep), dims(d.ByRegion)
	n.Latest = "no rows"
	if d.Latest != kpi.NoRows {
		n.Latest = d.Latest.String()
	}
	return n
}

func plansOf(ps []period.Period) []*kpi.Plan {
	plans := make([]*kpi.Plan, len(ps))
	for i, p := range ps {
		plans[i] = kpi.NewPlan(p)
	}
	return plans
}

// demoData is the folder of the demo company's CSV files and demoSQLite the same
// company's SQLite database, written once by TestMain.
var demoData, demoSQLite string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kpireport-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, err = demo.Generate(context.Background(), demo.Options{Dir: dir, Orders: 20000, Format: demo.FormatCSV,
		End: time.Date(2026, time.November, 15, 12, 0, 0, 0, amsterdam)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoData = filepath.Join(dir, "data")
	// The same company as an SQLite database.
	_, err = demo.Generate(context.Background(), demo.Options{Dir: filepath.Join(dir, "sqlite"), Orders: 20000, Format: demo.FormatSQLite,
		End: time.Date(2026, time.November, 15, 12, 0, 0, 0, amsterdam)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoSQLite = filepath.Join(dir, "sqlite", "data", "kpireport.db")
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// TestDemoCompany loads 20,000 orders of the demo company into each database (and
// reads the demo's own SQLite database), with
// different date column types per table and engine and some tables read through a
// table or query override, and compares months, ISO weeks and quarters (with DST
// changes) with the CSV source.
func TestDemoCompany(t *testing.T) {
	data := demoData
	money := map[string]string{"postgres": "NUMERIC(18,4)", "mysql": "DECIMAL(18,4)"}
	tables := []table{
		{file: "orders.csv", name: "orders_export", pk: "order_id", types: map[string]map[string]string{
			"postgres": {"order_date": "TIMESTAMPTZ", "amount": money["postgres"], "cost": money["postgres"], "recurring": "BOOLEAN"},
			"mysql":    {"order_date": "DATETIME", "amount": money["mysql"], "cost": money["mysql"], "recurring": "BOOLEAN"},
		}},
		{file: "customers.csv", name: "customers", pk: "customer_id", types: map[string]map[string]string{
			"postgres": {"acquired_date": "DATE", "churned_date": "DATE"},
			"mysql":    {"acquired_date": "DATE", "churned_date": "TIMESTAMP NULL"},
		}},
		{file: "leads.csv", name: "leads", types: map[string]map[string]string{
			"postgres": {"created_date": "DATE", "qualified_date": "TIMESTAMP", "converted_date": "TIMESTAMPTZ"},
			"mysql":    {"created_date": "TIMESTAMP NULL", "qualified_date": "DATE", "converted_date": "DATETIME"},
		}},
		{file: "deals.csv", name: "deals_src", pk: "deal_id", types: map[string]map[string]string{
			"postgres": {"created_date": "DATE", "closed_date": "TIMESTAMPTZ", "value": money["postgres"]},
			"mysql":    {"created_date": "DATETIME", "closed_date": "TIMESTAMP NULL", "value": money["mysql"]},
		}},
		{file: "spend.csv", name: "spend", types: map[string]map[string]string{
			"postgres": {"spend_date": "DATE", "amount": money["postgres"]},
			"mysql":    {"spend_date": "DATE", "amount": money["mysql"]},
		}},
		{file: "calls.csv", name: "calls", types: map[string]map[string]string{
			"postgres": {"call_date": "TIMESTAMP"},
			"mysql":    {"call_date": "DATETIME"},
		}},
	}
	plans := plansOf(periods(t, "2026-10", "2026-03", "2025-10", "2026-11", "2026-W13", "2026-W43", "2026-W44",
		"2025-W01", "2026-Q1", "2026-Q3", "2025-Q4"))
	t.Run("sqlite", func(t *testing.T) {
		src, err := sources.Open(sources.Options{Type: "sqlite", Path: demoSQLite, Location: amsterdam})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		compare(t, data, src, plans)
	})
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			load(t, db, data, tables)
			opt := sources.Options{Type: e.name, Location: amsterdam, Tables: map[string]sources.Table{
				"orders": {Name: db.Name + ".orders_export"},
				"deals":  {Query: "SELECT deal_id, created_date, closed_date, status, value, rep, customer_id, 'extra' AS note\nFROM deals_src -- a comment at the end\n;"},
			}}
			src, err := e.open(opt, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			compare(t, data, src, plans)
		})
	}
}

// TestEdgeCases compares a small fixture built to break things: refunds, UTC and
// offset timestamps on both sides of local midnight, nonexistent and repeated local
// times on DST days, ISO week 53, customers acquired and churned exactly on period
// boundaries, enums in any case, bools in every spelling, orders without a region (and
// of an unknown customer), sums beyond 10^13 and fraction digits.
func TestEdgeCases(t *testing.T) {
	dir := filepath.Join("testdata", "edge")
	tables := []table{
		{file: "orders.csv", name: "orders", types: map[string]map[string]string{
			"postgres": {"order_date": "TIMESTAMPTZ", "amount": "NUMERIC", "cost": "NUMERIC(18,4)", "recurring": "TEXT"},
			"mysql":    {"order_date": "DATETIME(3)", "amount": "DECIMAL(18,4)", "cost": "DECIMAL(18,4)", "recurring": "TINYINT(1)"},
		}},
		{file: "customers.csv", name: "customers", types: map[string]map[string]string{
			"postgres": {"acquired_date": "TIMESTAMP", "churned_date": "DATE"},
			"mysql":    {"acquired_date": "DATETIME", "churned_date": "TIMESTAMP NULL"},
		}},
		{file: "leads.csv", name: "leads", types: map[string]map[string]string{
			"postgres": {"created_date": "TIMESTAMPTZ", "qualified_date": "DATE", "converted_date": "TIMESTAMP"},
			"mysql":    {"created_date": "DATE", "qualified_date": "DATETIME", "converted_date": "TIMESTAMP NULL"},
		}},
		{file: "deals.csv", name: "deals", types: map[string]map[string]string{
			"postgres": {"created_date": "TIMESTAMPTZ", "closed_date": "TIMESTAMPTZ", "value": "NUMERIC(18,4)"},
			"mysql":    {"created_date": "TIMESTAMP NULL", "closed_date": "TIMESTAMP NULL", "value": "DECIMAL(18,4)"},
		}},
		{file: "spend.csv", name: "spend", types: map[string]map[string]string{
			"postgres": {"spend_date": "DATE", "amount": "NUMERIC(18,4)"},
			"mysql":    {"spend_date": "DATETIME", "amount": "DECIMAL(18,4)"},
		}},
		{file: "calls.csv", name: "calls", types: map[string]map[string]string{
			"postgres": {"call_date": "TIMESTAMPTZ"},
			"mysql":    {"call_date": "TIMESTAMP NULL"},
		}},
	}
	plans := plansOf(periods(t, "2026-03", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01",
		"2026-W13", "2026-W14", "2026-W43", "2026-W44", "2026-W53", "2027-W01",
		"2026-Q1", "2026-Q3", "2026-Q4", "2027-Q1"))
	t.Run("sqlite", func(t *testing.T) { compare(t, dir, sqliteOf(t, dir), plans) })
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			load(t, db, dir, tables)
			src, err := e.open(sources.Options{Type: e.name, Location: amsterdam}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			compare(t, dir, src, plans)
		})
	}
}

// TestMinimal compares data with only the required tables and columns: no cost,
// recurring, kind, rep or region, and none of the optional tables.
func TestMinimal(t *testing.T) {
	dir := filepath.Join("testdata", "minimal")
	tables := []table{
		{file: "orders.csv", name: "orders", types: map[string]map[string]string{
			"postgres": {"order_date": "TIMESTAMPTZ", "amount": "NUMERIC(10,2)"},
			"mysql":    {"order_date": "TIMESTAMP NULL", "amount": "DECIMAL(10,2)"},
		}},
		{file: "customers.csv", name: "customers", types: map[string]map[string]string{
			"postgres": {"acquired_date": "DATE"},
			"mysql":    {"acquired_date": "DATE"},
		}},
	}
	plans := plansOf(periods(t, "2026-10", "2026-W44", "2026-Q4"))
	t.Run("sqlite", func(t *testing.T) { compare(t, dir, sqliteOf(t, dir), plans) })
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			load(t, db, dir, tables)
			src, err := e.open(sources.Options{Type: e.name, Location: amsterdam}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			compare(t, dir, src, plans)
		})
	}
}

// TestManyIntervals uses a plan whose windows cut its span into more intervals than
// one 63-bit mask holds, so that distinct buyers need several mask words, with windows
// that cross from one word into the next. The demo company has orders on every day.
func TestManyIntervals(t *testing.T) {
	dir := demoData
	// Intervals 62 and 63, the last bit of the first mask word and the first of the
	// second, are weekdays with orders.
	start := period.FromYMD(2026, time.June, 3)
	p := period.Of(period.Month, start)
	plan := &kpi.Plan{Period: p, Dimension: period.Range{Start: start + 10, End: start + 70}}
	seen := make(map[period.Range]bool)
	add := func(r period.Range) {
		if !seen[r] {
			seen[r] = true
			plan.Windows = append(plan.Windows, r)
		}
	}
	for d := start; d < start+130; d++ {
		add(period.Range{Start: d, End: d + 1})
	}
	add(period.Range{Start: start, End: start + 130})
	add(period.Range{Start: start + 60, End: start + 67})
	add(period.Range{Start: start + 10, End: start + 70})
	add(period.Range{Start: start + 100, End: start + 129})
	slices.SortFunc(plan.Windows, func(a, b period.Range) int {
		return cmp.Or(int(a.Start-b.Start), int(a.End-b.End))
	})
	tables := []table{
		{file: "orders.csv", name: "orders", types: map[string]map[string]string{
			"postgres": {"order_date": "TIMESTAMPTZ", "amount": "NUMERIC(18,4)", "cost": "NUMERIC(18,4)"},
			"mysql":    {"order_date": "TIMESTAMP(3) NULL", "amount": "DECIMAL(18,4)", "cost": "DECIMAL(18,4)"},
		}},
		{file: "customers.csv", name: "customers", types: map[string]map[string]string{
			"postgres": {"acquired_date": "TIMESTAMPTZ", "churned_date": "TIMESTAMPTZ"},
			"mysql":    {"acquired_date": "DATE", "churned_date": "DATE"},
		}},
	}
	csvDir := t.TempDir()
	for _, f := range []string{"orders.csv", "customers.csv"} {
		copyFile(t, filepath.Join(dir, f), filepath.Join(csvDir, f))
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := e.db(t)
			load(t, db, dir, tables)
			src, err := e.open(sources.Options{Type: e.name, Location: amsterdam}, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			compare(t, csvDir, src, []*kpi.Plan{plan})
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
