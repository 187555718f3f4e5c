package reports

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

var sheetNames = map[string][]string{
	"en": {"Summary", "Measures", "Trend", "By rep", "By region", "Definitions"},
	"nl": {"Samenvatting", "Meetwaarden", "Trend", "Per verkoper", "Per regio", "Definities"},
}

// formulaKPIs are the KPIs whose Summary value must be a live formula over the
// Measures sheet (the list, plus the plain references).
var formulaKPIs = []string{kpi.IDAOV, kpi.IDARPC, kpi.IDCAC, kpi.IDChurnRate, kpi.IDRetentionRate,
	kpi.IDProfitMargin, kpi.IDLeadConversionRate, kpi.IDSalesGrowth, kpi.IDAvgSalesCycleDays,
	kpi.IDPipelineVelocity, kpi.IDRevenue, kpi.IDSales, kpi.IDMRR, kpi.IDBookings}

func renderXLSX(t testing.TB, rep *kpi.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderXLSX(&buf, rep, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openXLSX(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// near reports whether got is the exact value want as closely as a float64 holds it
// (far closer than the 4 decimals the report shows).
func near(got float64, want *big.Rat) bool {
	w, _ := want.Float64()
	return math.Abs(got-w) <= 1e-9*math.Max(1, math.Abs(w))
}

// summaryRows maps KPI id → row number of the Summary sheet, from its Key column.
func summaryRows(t *testing.T, f *excelize.File, sheet string) map[string]int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for i, r := range rows {
		if len(r) >= 10 {
			if _, ok := kpi.Lookup(r[9]); ok {
				out[r[9]] = i + 1
			}
		}
	}
	return out
}

// engineColumns are the Summary's number columns and the engine value each shows.
var engineColumns = []struct {
	col   string
	value func(r kpi.Result) kpi.Value
}{
	{"B", func(r kpi.Result) kpi.Value { return r.Value }},
	{"C", func(r kpi.Result) kpi.Value { return r.Previous }},
	{"D", func(r kpi.Result) kpi.Value {
		if r.Def.Unit == kpi.Ratio && r.Change.OK() { // percentage points
			return kpi.Exact(new(big.Rat).Mul(r.Change.V, big.NewRat(100, 1)))
		}
		return r.Change
	}},
	{"E", func(r kpi.Result) kpi.Value { return r.ChangeRel }},
	{"F", func(r kpi.Result) kpi.Value { return r.YearAgo }},
	{"G", func(r kpi.Result) kpi.Value {
		if r.Target == nil {
			return kpi.NA(kpi.NoPrevious)
		}
		return kpi.Exact(r.Target)
	}},
}

func TestRenderXLSX(t *testing.T) {
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			b := renderXLSX(t, rep)
			f := openXLSX(t, b)
			loc := locale.New(lang, rep.Currency)
			names := sheetNames[lang]
			if diff := cmp.Diff(names, f.GetSheetList()); diff != "" {
				t.Fatalf("sheets (-want +got):\n%s", diff)
			}
			summary := names[0]
			if v, _ := f.GetCellValue(summary, "A1"); v != fixtureCompany {
				t.Errorf("A1 = %q, want the company", v)
			}
			// The period's range, and no generation time: the same data gives the same
			// bytes (tryout F8).
			if v, _ := f.GetCellValue(summary, "A3"); v != map[string]string{"en": "1 October 2026 to 31 October 2026", "nl": "1 oktober 2026 tot en met 31 oktober 2026"}[lang] {
				t.Errorf("A3 = %q, want the period's range only", v)
			}
			rows := summaryRows(t, f, summary)
			if len(rows) != len(kpi.Defs) {
				t.Fatalf("Summary has %d KPI rows, want %d", len(rows), len(kpi.Defs))
			}
			yearAgoNA := 0 // the fixture has some; the test of their notes must not be empty
			defer func() {
				if yearAgoNA == 0 {
					t.Error("no KPI of the fixture is n/a a year ago")
				}
			}()
			for _, r := range rep.KPIs {
				n := rows[r.Def.ID]
				name, _ := f.GetCellValue(summary, "A"+itoa(n))
				if name != r.Def.Name(lang) {
					t.Errorf("%s: name %q, want %q", r.Def.ID, name, r.Def.Name(lang))
				}
				for _, c := range engineColumns {
					checkNumberCell(t, f, summary, c.col+itoa(n), c.value(r), r.Def.ID)
				}
				// Every figure column has the number format of its unit, n/a or not.
				for _, c := range []struct{ col, format string }{
					{"B", numFmt(loc, r.Def.Unit)},       // value
					{"C", numFmt(loc, r.Def.Unit)},       // previous
					{"D", changeNumFmt(loc, r.Def.Unit)}, // change
					{"E", changePctNumFmt(loc)},          // change %
					{"F", numFmt(loc, r.Def.Unit)},       // year ago
					{"G", numFmt(loc, r.Def.Unit)},       // target
				} {
					if got := customFormat(t, f, summary, c.col+itoa(n)); got != c.format {
						t.Errorf("%s %s%d: number format %q, want %q", r.Def.ID, c.col, n, got, c.format)
					}
				}
				// Every n/a among value, previous and year ago has its reason in the note,
				// with the period it is about.
				note, _ := f.GetCellValue(summary, "I"+itoa(n))
				for _, v := range []struct {
					when  string
					value kpi.Value
				}{{whens[lang][0], r.Value}, {whens[lang][1], r.Previous}, {whens[lang][2], r.YearAgo}} {
					if v.value.OK() {
						continue
					}
					if v.value.Reason == "" {
						t.Fatalf("%s: an n/a without a reason", r.Def.ID)
					}
					if v.when == whens[lang][2] {
						yearAgoNA++
					}
					if !strings.Contains(note, v.when) || !strings.Contains(note, reasonText(lang, v.value.Reason)) {
						t.Errorf("%s is n/a in %q but its note %q lacks that period or the reason %q", r.Def.ID, v.when, note, reasonText(lang, v.value.Reason))
					}
				}
				valueCell := "B" + itoa(n)
				formula, _ := f.GetCellFormula(summary, valueCell)
				switch {
				case !r.Value.OK():
				case slices.Contains(formulaKPIs, r.Def.ID):
					if !strings.Contains(formula, "'"+names[1]+"'!C") {
						t.Errorf("%s: formula %q is not over the Measures sheet", r.Def.ID, formula)
					}
				}
				if r.Change.OK() && r.Previous.OK() {
					if formula, _ := f.GetCellFormula(summary, "D"+itoa(n)); formula == "" {
						t.Errorf("%s: change is not a formula", r.Def.ID)
					}
				}
			}
			if status, _ := f.GetCellValue(summary, "H"+itoa(rows[kpi.IDAOV])); status != map[string]string{"en": "near", "nl": "bijna"}[lang] {
				t.Errorf("AOV status %q", status)
			}
			checkSheetSetup(t, f, b, summary, len(rows))
			checkMeasures(t, f, names[1], rep)
			checkTrend(t, f, names[2], rep)
			checkCharts(t, b, rep)
			checkDims(t, f, names[3], rep.ByRep)
			checkDims(t, f, names[4], rep.ByRegion)
			checkDimFormats(t, f, names[3], rep, 12)
			checkDimFormats(t, f, names[4], rep, 7)
			for i, def := range kpi.Defs {
				got, _ := f.GetCellValue(names[5], "A"+itoa(i+2))
				formula, _ := f.GetCellValue(names[5], "C"+itoa(i+2))
				if got != def.Name(lang) || formula == "" {
					t.Errorf("Definitions row %d: %q, %q", i+2, got, formula)
				}
			}
		})
	}
}

// whens are the Summary note's names of the period, the previous period and the
// year-ago period of the fixture.
var whens = map[string][3]string{
	"en": {"This period", "Previous period (September 2026)", "Year ago (October 2025)"},
	"nl": {"Deze periode", "Vorige periode (september 2026)", "Jaar eerder (oktober 2025)"},
}

// checkNumberCell checks that cell is empty for n/a and otherwise a number cell (a
// plain number or a formula's cached number) equal to the engine's value.
func checkNumberCell(t *testing.T, f *excelize.File, sheet, cell string, want kpi.Value, what string) {
	t.Helper()
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if !want.OK() {
		if raw != "" {
			t.Errorf("%s %s: %q, want an empty cell for n/a", what, cell, raw)
		}
		return
	}
	typ, _ := f.GetCellType(sheet, cell)
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s %s: cell type %v, want a number", what, cell, typ)
	}
	got, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Errorf("%s %s: %q is not a number", what, cell, raw)
		return
	}
	if !near(got, want.V) {
		t.Errorf("%s %s: cached %v, engine %s", what, cell, got, want.V.FloatString(10))
	}
}

func customFormat(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if s.CustomNumFmt == nil {
		return "builtin " + itoa(s.NumFmt)
	}
	return *s.CustomNumFmt
}

// sheetXML returns the XML of the n-th worksheet (1-based) of workbook b.
func sheetXML(t *testing.T, b []byte, n int) string {
	t.Helper()
	return zipFile(t, b, "xl/worksheets/sheet"+itoa(n)+".xml")
}

func zipFile(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	x, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(x)
}

func checkSheetSetup(t *testing.T, f *excelize.File, b []byte, sheet string, kpis int) {
	t.Helper()
	last := summaryHeaderRow + kpis
	cf, err := f.GetConditionalFormats(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if rules := cf["H"+itoa(summaryHeaderRow+1)+":H"+itoa(last)]; len(rules) != 3 {
		t.Errorf("status conditional formats: %v", cf)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != summaryHeaderRow {
		t.Errorf("panes %+v: want the header frozen", panes)
	}
	x := sheetXML(t, b, 1)
	if want := `<autoFilter ref="$A$` + itoa(summaryHeaderRow) + `:$J$` + itoa(last) + `"`; !strings.Contains(x, want) {
		t.Errorf("Summary has no %s", want)
	}
	layout, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 {
		t.Errorf("page layout: %+v", layout)
	}
	if w, _ := f.GetColWidth(sheet, "A"); w < 30 {
		t.Errorf("column A width %v", w)
	}
}

// moneyMeasures are the base measures that are amounts; the others are counts.
var moneyMeasures = []string{"revenue", "gross_sales", "cost", "recurring_revenue", "expansion_revenue", "spend", "won_value"}

func checkMeasures(t *testing.T, f *excelize.File, sheet string, rep *kpi.Report) {
	t.Helper()
	loc := locale.New(rep.Lang, rep.Currency)
	for i, ms := range measures {
		n := measuresFirstRow + i
		key, _ := f.GetCellValue(sheet, "B"+itoa(n))
		if key != ms.key {
			t.Errorf("Measures row %d: key %q, want %q", n, key, ms.key)
		}
		format := numFmt(loc, kpi.Count)
		if slices.Contains(moneyMeasures, ms.key) {
			format = numFmt(loc, kpi.Money)
		}
		for j, m := range []*kpi.Measures{&rep.Current, &rep.Previous, &rep.YearAgo} {
			want := kpi.NA(ms.missing())
			if ms.available(rep.Has) {
				want = kpi.Exact(ms.value(m))
			}
			cell := string(rune('C'+j)) + itoa(n)
			checkNumberCell(t, f, sheet, cell, want, ms.key)
			if got := customFormat(t, f, sheet, cell); got != format {
				t.Errorf("Measures %s (%s): number format %q, want %q", cell, ms.key, got, format)
			}
		}
	}
}

func checkTrend(t *testing.T, f *excelize.File, sheet string, rep *kpi.Report) {
	t.Helper()
	ids := defIDs()
	for j, id := range ids {
		r, _ := rep.KPI(id)
		column := col(j + 2)
		if name, _ := f.GetCellValue(sheet, column+"1"); name != r.Def.Name(rep.Lang) {
			t.Errorf("Trend %s1 = %q", column, name)
		}
		if len(r.Trend) != kpi.TrendLength {
			t.Fatalf("%s has %d trend points", id, len(r.Trend))
		}
		format := numFmt(locale.New(rep.Lang, rep.Currency), r.Def.Unit)
		for i, p := range r.Trend {
			cell := column + itoa(trendFirstRow+i)
			checkNumberCell(t, f, sheet, cell, p.Value, id+" trend")
			if got := customFormat(t, f, sheet, cell); got != format {
				t.Errorf("Trend %s (%s): number format %q, want %q", cell, id, got, format)
			}
		}
	}
	if label, _ := f.GetCellValue(sheet, "A"+itoa(trendFirstRow+kpi.TrendLength-1)); label != periodShort(rep.Lang, rep.Period) {
		t.Errorf("last trend period %q", label)
	}
}

// checkCharts checks the Trend sheet's native charts: a line chart of revenue and one
// of MRR, each with its own axis (on one axis MRR is a flat line), then a column
// chart of qualified leads and sales calls, side by side without overlapping.
func checkCharts(t *testing.T, b []byte, rep *kpi.Report) {
	t.Helper()
	tm, err := defaultTemplate(rep.Period.Kind)
	if err != nil {
		t.Fatal(err)
	}
	sheet := tm.label(rep.Lang, "sheet_trend")
	values := func(ids ...string) []string { // the Trend columns of ids
		var refs []string
		for _, id := range ids {
			c := col(slices.Index(tm.Workbook.Trend, id) + 2)
			refs = append(refs, "'"+sheet+"'!$"+c+"2:$"+c+"$"+itoa(trendFirstRow+kpi.TrendLength-1))
		}
		return refs
	}
	type chart struct {
		Kind   string
		Values []string
		Legend bool
	}
	want := []chart{
		{"lineChart", values(kpi.IDRevenue), false},
		{"lineChart", values(kpi.IDMRR), false},
		{"barChart", values(kpi.IDQualifiedLeads, kpi.IDSalesCalls), true},
	}
	kindRe := regexp.MustCompile(`<(?:c:)?(lineChart|barChart)>`)
	valRe := regexp.MustCompile(`<(?:c:)?val><(?:c:)?numRef><(?:c:)?f>([^<]*)<`)
	var got []chart
	for i := 1; ; i++ {
		name := "xl/charts/chart" + itoa(i) + ".xml"
		if !slices.Contains(zipNames(t, b), name) {
			break
		}
		x := zipFile(t, b, name)
		var c chart
		for _, m := range kindRe.FindAllStringSubmatch(x, -1) {
			c.Kind += m[1]
		}
		for _, m := range valRe.FindAllStringSubmatch(x, -1) {
			c.Values = append(c.Values, html.UnescapeString(m[1]))
		}
		c.Legend = strings.Contains(x, "<legend>") || strings.Contains(x, "<c:legend>")
		got = append(got, c)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("charts (-want +got):\n%s", diff)
	}
	if !strings.Contains(sheetXML(t, b, 3), "<drawing ") {
		t.Fatal("the Trend sheet has no drawing")
	}
	// Each chart's anchor starts right of the column where the one before ends.
	anchor := regexp.MustCompile(`<xdr:from><xdr:col>(\d+)</xdr:col>.*?<xdr:to><xdr:col>(\d+)</xdr:col>`)
	anchors := anchor.FindAllStringSubmatch(zipFile(t, b, "xl/drawings/drawing1.xml"), -1)
	if len(anchors) != len(want) {
		t.Fatalf("%d chart anchors, want %d", len(anchors), len(want))
	}
	for i := 1; i < len(anchors); i++ {
		from, _ := strconv.Atoi(anchors[i][1])
		prevTo, _ := strconv.Atoi(anchors[i-1][2])
		if from <= prevTo {
			t.Errorf("chart %d starts in column %d, where chart %d ends (%d)", i+1, from, i, prevTo)
		}
	}
}

// zipNames returns the names of the files in the zip archive b.
func zipNames(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
	}
	return names
}

// checkDims checks a dimension sheet: names as text (even when they look like
// formulas), numbers, and a total row of SUM formulas with the exact totals cached.
func checkDims(t *testing.T, f *excelize.File, sheet string, dims []kpi.DimMeasures) {
	t.Helper()
	for i, d := range dims {
		cell := "A" + itoa(i+2)
		got, _ := f.GetCellValue(sheet, cell)
		if d.Name != "" && got != d.Name {
			t.Errorf("%s %s = %q, want %q", sheet, cell, got, d.Name)
		}
		if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
			t.Errorf("%s %s is a formula %q", sheet, cell, formula)
		}
		if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("%s %s: type %v, want text", sheet, cell, typ)
		}
		if got := customFormat(t, f, sheet, cell); got != "builtin 49" {
			t.Errorf("%s %s: format %s, want text (49)", sheet, cell, got)
		}
		checkNumberCell(t, f, sheet, "B"+itoa(i+2), kpi.Exact(d.Revenue.Rat()), d.Name+" revenue")
	}
	total := "B" + itoa(len(dims)+2)
	formula, _ := f.GetCellFormula(sheet, total)
	if want := "SUM(B2:B" + itoa(len(dims)+1) + ")"; formula != want {
		t.Errorf("%s %s formula %q, want %q", sheet, total, formula, want)
	}
	sum := dimTotal(dims)
	checkNumberCell(t, f, sheet, total, kpi.Exact(sum.Revenue.Rat()), "total revenue")
}

// dimUnits are the units of the columns of the By rep and By region sheets, by label.
var dimUnits = map[string]kpi.Unit{
	"col_revenue": kpi.Money, "col_sales_count": kpi.Count, "col_aov": kpi.Money,
	"col_bookings": kpi.Money, "col_won_deals": kpi.Count, "col_cycle_days": kpi.Count,
	"col_avg_cycle": kpi.Days, "col_sales_calls": kpi.Count, "col_qualified_leads": kpi.Count,
	"col_leads_created": kpi.Count, "col_leads_converted": kpi.Count, "col_lead_conversion": kpi.Ratio,
}

// checkDimFormats checks that a dimension sheet has cols columns of figures, each
// named by its label, and that every figure, the total's too, has the number format
// of the column's unit.
func checkDimFormats(t *testing.T, f *excelize.File, sheet string, rep *kpi.Report, cols int) {
	t.Helper()
	tm, err := defaultTemplate(rep.Period.Kind)
	if err != nil {
		t.Fatal(err)
	}
	loc := locale.New(rep.Lang, rep.Currency)
	byName := map[string]kpi.Unit{}
	for label, u := range dimUnits {
		byName[tm.label(rep.Lang, label)] = u
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || len(rows[0]) != cols+1 {
		t.Fatalf("%s: %d rows, header %q; want %d figure columns", sheet, len(rows), rows[0], cols)
	}
	for j, name := range rows[0][1:] {
		u, ok := byName[name]
		if !ok {
			t.Errorf("%s: column %q is not a known column", sheet, name)
			continue
		}
		format := numFmt(loc, u)
		for i := 2; i <= len(rows); i++ {
			cell := col(j+2) + itoa(i)
			if got := customFormat(t, f, sheet, cell); got != format {
				t.Errorf("%s %s (%s): number format %q, want %q", sheet, cell, name, got, format)
			}
		}
	}
}

// TestFormulaLikeTextStaysText renders a report whose company, reps and regions look
// like formulas and checks that each is a text cell, never a formula.
func TestFormulaLikeTextStaysText(t *testing.T) {
	rep := fixtureReport(t, "en")
	rep.Company = `=HYPERLINK("http://example.com","x")`
	f := openXLSX(t, renderXLSX(t, rep))
	data := []string{rep.Company, fixtureFormula, "@team", "+31 Sales", "-West"}
	found := map[string]bool{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j, v := range r {
				if !slices.Contains(data, v) {
					continue
				}
				found[v] = true
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s!%s: %q became a formula %q", sheet, cell, v, formula)
				}
				if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
					t.Errorf("%s!%s: %q has type %v, want text", sheet, cell, v, typ)
				}
			}
		}
	}
	for _, s := range data {
		if !found[s] {
			t.Errorf("%q is not in the workbook", s)
		}
	}
}
