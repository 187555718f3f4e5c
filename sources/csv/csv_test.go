package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

var (
	amsterdam = mustLoadLocation("Europe/Amsterdam")
	october   = period.Period{Kind: period.Month, Year: 2026, N: 10}
)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// sumComparer compares exact sums by value.
var sumComparer = cmp.Comparer(func(a, b money.Sum) bool { return a.String() == b.String() })

// load reads dir with the default options changed by opt and the source by tweak.
func load(t testing.TB, dir string, opt func(*sources.Options), tweak func(*Source)) (*kpi.Data, error) {
	t.Helper()
	o := sources.Options{Type: "csv", Dir: dir, Location: amsterdam}
	if opt != nil {
		opt(&o)
	}
	src, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if tweak != nil {
		tweak(src)
	}
	return src.Load(context.Background(), kpi.NewPlan(october))
}

func mustLoad(t testing.TB, dir string, opt func(*sources.Options), tweak func(*Source)) *kpi.Data {
	t.Helper()
	data, err := load(t, dir, opt, tweak)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// copyDir copies the files of src into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
	}
	return dst
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadValid(t *testing.T) {
	data := mustLoad(t, "../testdata/valid", nil, nil)
	sum := func(s string) money.Sum { return money.SumOf(money.MustParse(s)) }
	want := &kpi.Measures{
		Revenue:          sum("1250.5"),
		GrossSales:       sum("1300.5"),
		SalesCount:       3,
		Cost:             sum("680.25"),
		Buyers:           2,
		RecurringRevenue: sum("1100.5"),
		ExpansionRevenue: sum("1000"),
		NewCustomers:     2,
		CustomersStart:   2,
		CustomersLost:    1,
		CustomersEnd:     3,
		Spend:            sum("1250.75"),
		WonDeals:         1,
		WonValue:         sum("5000"),
		CycleDays:        39,
		LeadsCreated:     2,
		LeadsConverted:   1,
		QualifiedLeads:   2,
		SalesCalls:       3,
	}
	if diff := cmp.Diff(want, data.Windows[october.Range()], sumComparer); diff != "" {
		t.Errorf("October measures (-want +got):\n%s", diff)
	}
	wantHas := kpi.Availability{Cost: true, Leads: true, Deals: true, Spend: true, Calls: true}
	if data.Has != wantHas {
		t.Errorf("Has = %+v, want %+v", data.Has, wantHas)
	}
	wantReps := []kpi.DimMeasures{
		{Name: "Jones", Revenue: sum("950"), SalesCount: 1, SalesCalls: 2, QualifiedLeads: 1, LeadsCreated: 1},
		{Name: "Smith, J.", Revenue: sum("300.5"), SalesCount: 2, WonDeals: 1, WonValue: sum("5000"), CycleDays: 39,
			SalesCalls: 1, QualifiedLeads: 1, LeadsCreated: 1, LeadsConverted: 1},
	}
	if diff := cmp.Diff(wantReps, data.ByRep, sumComparer); diff != "" {
		t.Errorf("ByRep (-want +got):\n%s", diff)
	}
	wantRegions := []kpi.DimMeasures{
		{Name: "", Revenue: sum("1000"), SalesCount: 1},
		{Name: "North", Revenue: sum("300.5"), SalesCount: 2, WonDeals: 1, WonValue: sum("5000"), CycleDays: 39},
		{Name: `South "Coast"`, Revenue: sum("-50")},
	}
	if diff := cmp.Diff(wantRegions, data.ByRegion, sumComparer); diff != "" {
		t.Errorf("ByRegion (-want +got):\n%s", diff)
	}
}

// TestLoadDialects loads the same data written in other CSV dialects.
func TestLoadDialects(t *testing.T) {
	want := mustLoad(t, "../testdata/valid", nil, nil)
	rewrite := func(t *testing.T, f func(string) string) string {
		dir := copyDir(t, "../testdata/valid")
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			b, _ := os.ReadFile(path)
			writeFile(t, path, f(string(b)))
		}
		return dir
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		opt  func(*sources.Options)
	}{
		{"semicolon and decimal comma, BOM, CRLF", func(*testing.T) string { return "../testdata/dutch" },
			func(o *sources.Options) { o.Delimiter, o.Decimal = ';', ',' }},
		{"BOM", func(t *testing.T) string { return rewrite(t, func(s string) string { return "\xEF\xBB\xBF" + s }) }, nil},
		{"CRLF", func(t *testing.T) string {
			return rewrite(t, func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") })
		}, nil},
		{"no final newline, blank lines", func(t *testing.T) string {
			return rewrite(t, func(s string) string {
				s = strings.Replace(s, "\n", "\n\n\r\n", 2)
				return strings.TrimSuffix(s, "\n")
			})
		}, nil},
		{"tab", func(t *testing.T) string {
			return rewrite(t, func(s string) string {
				records, err := stdcsv.NewReader(strings.NewReader(s)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				w := stdcsv.NewWriter(&b)
				w.Comma = '\t'
				w.WriteAll(records)
				return b.String()
			})
		}, func(o *sources.Options) { o.Delimiter = '\t' }},
		{"column order and extra columns", func(t *testing.T) string {
			dir := copyDir(t, "../testdata/valid")
			writeFile(t, filepath.Join(dir, "spend.csv"), "note, amount ,spend_date,category\n"+
				"x,1000,2026-10-01,marketing\n,250.75,2026-10-15,sales\n\"a,b\",500,2026-09-10,Marketing\n")
			return dir
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustLoad(t, tt.dir(t), tt.opt, nil)
			if diff := cmp.Diff(want, got, sumComparer); diff != "" {
				t.Errorf("data differs from the plain CSV (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChunks cuts the files in tiny blocks, so that chunk boundaries fall everywhere,
// also inside quoted fields, and parses them with several workers.
func TestChunks(t *testing.T) {
	dir := t.TempDir()
	writeSynthetic(t, dir, 3000, 7, true)
	for _, fixture := range []string{"../testdata/valid", "../testdata/dutch", dir} {
		opt := func(o *sources.Options) {
			if strings.HasSuffix(fixture, "dutch") {
				o.Delimiter, o.Decimal = ';', ','
			}
		}
		want := mustLoad(t, fixture, func(o *sources.Options) { opt(o); o.Workers = 1 }, nil)
		for _, block := range []int{16, 17, 33, 100, 1000, 4096} {
			for _, workers := range []int{1, 2, 3, 8} {
				t.Run(fmt.Sprintf("%s/block=%d/workers=%d", filepath.Base(fixture), block, workers), func(t *testing.T) {
					got := mustLoad(t, fixture, func(o *sources.Options) { opt(o); o.Workers = workers },
						func(s *Source) { s.blockSize = block })
					if diff := cmp.Diff(want, got, sumComparer); diff != "" {
						t.Errorf("data differs from one block and one worker (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func TestMissingTables(t *testing.T) {
	t.Run("orders", func(t *testing.T) {
		dir := copyDir(t, "../testdata/valid")
		os.Remove(filepath.Join(dir, "orders.csv"))
		_, err := load(t, dir, nil, nil)
		want := "sources: missing table orders: " + filepath.Join(dir, "orders.csv") + " does not exist"
		if err == nil || err.Error() != want || !errors.Is(err, sources.ErrMissingTable) {
			t.Errorf("err = %v, want %s", err, want)
		}
	})
	t.Run("customers", func(t *testing.T) {
		dir := copyDir(t, "../testdata/valid")
		os.Remove(filepath.Join(dir, "customers.csv"))
		if _, err := load(t, dir, nil, nil); !errors.Is(err, sources.ErrMissingTable) || !strings.Contains(err.Error(), "customers.csv") {
			t.Errorf("err = %v, want a missing customers.csv", err)
		}
	})
	t.Run("configured file", func(t *testing.T) {
		dir := copyDir(t, "../testdata/valid")
		_, err := load(t, dir, func(o *sources.Options) {
			o.Tables = map[string]sources.Table{"calls": {File: "phone.csv"}}
		}, nil)
		if !errors.Is(err, sources.ErrMissingTable) || !strings.Contains(err.Error(), "phone.csv") {
			t.Errorf("err = %v, want a missing phone.csv", err)
		}
	})
	t.Run("optional", func(t *testing.T) {
		dir := copyDir(t, "../testdata/valid")
		for _, name := range []string{"leads", "deals", "spend", "calls"} {
			os.Remove(filepath.Join(dir, name+".csv"))
		}
		// Without a cost column (costs is an unknown column) profit margin is n/a.
		b, _ := os.ReadFile(filepath.Join(dir, "orders.csv"))
		writeFile(t, filepath.Join(dir, "orders.csv"), strings.Replace(string(b), ",cost,", ",costs,", 1))
		data := mustLoad(t, dir, nil, nil)
		if data.Has != (kpi.Availability{}) {
			t.Errorf("Has = %+v, want nothing", data.Has)
		}
		m := data.Windows[october.Range()]
		if m.Revenue.String() != "1250.5" || m.Cost.Sign() != 0 || m.WonDeals != 0 || m.SalesCalls != 0 {
			t.Errorf("measures = %+v", m)
		}
	})
	t.Run("table file override", func(t *testing.T) {
		dir := copyDir(t, "../testdata/valid")
		if err := os.Rename(filepath.Join(dir, "orders.csv"), filepath.Join(dir, "export_orders.csv")); err != nil {
			t.Fatal(err)
		}
		want := mustLoad(t, "../testdata/valid", nil, nil)
		got := mustLoad(t, dir, func(o *sources.Options) {
			o.Tables = map[string]sources.Table{"orders": {File: "export_orders.csv"}}
		}, nil)
		if diff := cmp.Diff(want, got, sumComparer); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

const ordersHeader = "order_id,customer_id,order_date,amount,cost,recurring,kind,rep,region\n"

func TestBadRows(t *testing.T) {
	tests := []struct {
		name    string
		file    string // replaced in the valid fixture
		content string
		want    string
		is      error
	}{
		{"bad decimal", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,\"12,3.4\",1,,,,\n",
			`orders.csv line 3 column amount: "12,3.4" is not a decimal`, money.ErrSyntax},
		{"too many fraction digits", "orders.csv", ordersHeader + "O1,C1,2026-10-01,1.23456,1,,,,\n",
			`orders.csv line 2 column amount: "1.23456" has more than 4 fraction digits`, money.ErrPrecision},
		{"bad date", "orders.csv", ordersHeader + "O1,C1,2026-13-01,100,1,,,,\n",
			`orders.csv line 2 column order_date: "2026-13-01" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset)`, period.ErrValue},
		{"day-first date", "orders.csv", ordersHeader + "O1,C1,2-6-2025,100,1,,,,\n",
			`orders.csv line 2 column order_date: "2-6-2025" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset; for a day-first date set source.date_format = "2-1-2006")`, period.ErrValue},
		{"day-first date with slashes", "orders.csv", ordersHeader + "O1,C1,25/06/2025,100,1,,,,\n",
			`orders.csv line 2 column order_date: "25/06/2025" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset; for a day-first date set source.date_format = "2/1/2006")`, period.ErrValue},
		{"month-first date", "orders.csv", ordersHeader + "O1,C1,06/25/2025,100,1,,,,\n",
			`orders.csv line 2 column order_date: "06/25/2025" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset; for a month-first date set source.date_format = "1/2/2006")`, period.ErrValue},
		{"missing required value", "orders.csv", ordersHeader + "O1,,2026-10-01,100,1,,,,\n",
			`orders.csv line 2 column customer_id: missing value`, sources.ErrEmptyRequired},
		{"duplicate order id", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,100,1,,,\"multi\nline\",\nO1,C2,2024-01-01,5,1,,,,\n",
			`orders.csv line 5 column order_id: duplicate "O1" (first on line 2)`, sources.ErrDuplicateID},
		{"duplicate customer id", "customers.csv", "customer_id,acquired_date\nC1,2025-01-01\nC2,2025-01-01\nC1,2025-02-01\nC2,2025-01-01\n",
			`customers.csv line 4 column customer_id: duplicate "C1" (first on line 2)`, sources.ErrDuplicateID},
		{"unknown enum", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,refund,,\n",
			`orders.csv line 2 column kind: "refund" is not one of new, repeat, upsell, cross_sell`, sources.ErrBadEnum},
		{"bad bool", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,maybe,,,\n",
			`orders.csv line 2 column recurring: "maybe" is not a bool (true/false, 1/0, yes/no, ja/nee, waar/onwaar)`, sources.ErrBadEnum},
		{"empty cost cell", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,100,,,,,\n",
			`orders.csv line 3 column cost: missing value (the cost column is there, so every row needs one)`, sources.ErrEmptyRequired},
		{"won deal without closed date", "deals.csv", "deal_id,created_date,closed_date,status,value\nD1,2026-01-01,,open,5\nD2,2026-01-01,,Won,5\n",
			`deals.csv line 3 column closed_date: missing value (required when status is won or lost)`, sources.ErrEmptyRequired},
		{"negative deal value", "deals.csv", "deal_id,created_date,closed_date,status,value\nD1,2026-01-01,,open,-5\n",
			`deals.csv line 2 column value: "-5" is negative`, sources.ErrNegative},
		{"unknown spend category", "spend.csv", "spend_date,category,amount\n2026-01-01,travel,5\n",
			`spend.csv line 2 column category: "travel" is not one of marketing, sales`, sources.ErrBadEnum},
		{"unknown call direction", "calls.csv", "call_id,call_date,direction\nK1,2026-01-01,sideways\n",
			`calls.csv line 2 column direction: "sideways" is not one of inbound, outbound`, sources.ErrBadEnum},
		{"wrong field count", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,100,1,,,\n",
			`orders.csv line 3: 8 fields, the header has 9`, sources.ErrFieldCount},
		{"missing required column", "orders.csv", "order_id,customer_id,order_date,cost\nO1,C1,2026-10-01,1\n",
			`orders.csv: sources: missing column "amount" (columns found: "order_id", "customer_id", "order_date", "cost")`, sources.ErrMissingColumn},
		{"every missing column is named (tryout F27)", "orders.csv", "Ordernummer,Klantnummer,Orderdatum,Bedrag,cost\nO1,C1,2026-10-01,1,1\n",
			`orders.csv: sources: missing columns "order_id", "customer_id", "order_date", "amount" (columns found: "Ordernummer", "Klantnummer", "Orderdatum", "Bedrag", "cost")`, sources.ErrMissingColumn},
		{"duplicate column", "orders.csv", "order_id,customer_id,order_date,amount,amount\nO1,C1,2026-10-01,1,2\n",
			`orders.csv: sources: duplicate column "amount" (fields 4 and 5)`, sources.ErrDuplicateColumn},
		{"header names match in any case, trimmed; a missing one lists those found", "leads.csv", " Lead_ID ,Created_Date\nL1,2026-01-01\n\nL1,2026-01-02\n",
			`leads.csv line 4 column lead_id: duplicate "L1" (first on line 2)`, sources.ErrDuplicateID},
		{"missing column lists the columns found", "leads.csv", "lead,created_date\nL1,2026-01-01\n",
			`leads.csv: sources: missing column "lead_id" (columns found: "lead", "created_date")`, sources.ErrMissingColumn},
		{"quote in unquoted field", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,Bob \"the\" rep,\nO2,C1,2026-10-01,100,1,,,,\n",
			`orders.csv line 2 column rep: a quote in an unquoted field (quote the field and write "" for the quote)`, sources.ErrSyntax},
		{"text after closing quote", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,\"Bob\"x,\n",
			`orders.csv line 2 column rep: unexpected text after the closing quote of a quoted field`, sources.ErrSyntax},
		{"quoted field not closed", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,100,1,,,\"Bob,\n\n",
			`orders.csv line 3 column rep: quoted field is not closed`, sources.ErrSyntax},
		{"empty file", "customers.csv", "",
			`customers.csv line 1: no header line: the file is empty`, sources.ErrSyntax},
		{"first of several bad rows", "orders.csv", ordersHeader + strings.Repeat("O1,C1,2026-10-01,100,1,,,,\n", 1) +
			strings.Repeat("O2,C1,2026-10-01,100,1,,,,\n", 500) + "O3,C1,2026-10-01,x,1,,,,\n" + strings.Repeat("O4,C1,bad,100,1,,,,\n", 500),
			`orders.csv line 503 column amount: "x" is not a decimal`, money.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "../testdata/valid")
			writeFile(t, filepath.Join(dir, tt.file), tt.content)
			for _, block := range []int{DefaultBlockSize, 64} {
				_, err := load(t, dir, func(o *sources.Options) { o.Workers = 3 }, func(s *Source) { s.blockSize = block })
				if err == nil || err.Error() != tt.want {
					t.Errorf("block %d: err = %v\nwant %s", block, err, tt.want)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("block %d: err = %v, want one that is %v", block, err, tt.is)
				}
			}
		})
	}
}

func TestRowErrorFields(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	writeFile(t, filepath.Join(dir, "orders.csv"), ordersHeader+"O1,C1,2026-10-01,\"12,3.4\",1,,,,\n")
	_, err := load(t, dir, nil, nil)
	var re *sources.RowError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *sources.RowError", err)
	}
	want := sources.RowError{File: "orders.csv", Line: 2, Column: "amount", Value: "12,3.4"}
	re.Err = nil
	if *re != want {
		t.Errorf("RowError = %+v, want %+v", *re, want)
	}
}

// TestOverlongRecord: a quoted field that is never closed does not make the reader
// read the whole file into memory.
func TestOverlongRecord(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	var b bytes.Buffer
	b.WriteString(ordersHeader)
	b.WriteString("O1,C1,2026-10-01,100,1,,,,\"North\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "O%d,C1,2026-10-01,100,1,,,,North\n", i+2)
	}
	writeFile(t, filepath.Join(dir, "orders.csv"), b.String())
	_, err := load(t, dir, nil, func(s *Source) { s.blockSize, s.maxBlock = 64, 4096 })
	want := "orders.csv line 2 column region: quoted field is not closed"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	writeSynthetic(t, dir, 20000, 1, false)
	src, err := Open(sources.Options{Type: "csv", Dir: dir, Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	src.blockSize = 1024
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Load(ctx, kpi.NewPlan(october)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		opt  sources.Options
		want string
	}{
		{"no dir", sources.Options{Type: "csv"}, "sources: bad options: csv: dir is empty"},
		{"quote delimiter", sources.Options{Type: "csv", Dir: ".", Delimiter: '"'}, `sources: bad options: delimiter '"' cannot separate fields`},
		{"same separators", sources.Options{Type: "csv", Dir: ".", Delimiter: ',', Decimal: ','}, `sources: bad options: delimiter ',' is also the decimal separator`},
		{"unknown table", sources.Options{Type: "csv", Dir: ".", Tables: map[string]sources.Table{"order": {}}}, `sources: bad options: tables: "order" is not a table of the data contract`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sources.Open(tt.opt)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	if _, err := sources.Open(sources.Options{Type: "csv", Dir: "."}); err != nil {
		t.Errorf("Open registered csv: %v", err)
	}
}
