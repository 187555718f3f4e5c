package reports

import (
	"strings"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// lateStartReport computes the fixture's report with data that starts in the
// seventh period of the trend: every window of the plan that ends before it is
// empty, so the engine marks the first six trend periods as before the data starts.
func lateStartReport(t *testing.T, lang string) *kpi.Report {
	t.Helper()
	p := fixturePeriod
	plan := kpi.NewPlan(p)
	start := p.Add(6 - (kpi.TrendLength - 1)).Range().Start
	data := &kpi.Data{
		Windows: make(map[period.Range]*kpi.Measures, len(plan.Windows)),
		Has:     kpi.Availability{Cost: true, Leads: true, Deals: true, Calls: true},
	}
	for _, w := range plan.Windows {
		data.Windows[w] = &kpi.Measures{}
		if w.End > start {
			data.Windows[w] = fixtureMeasures(w)
		}
	}
	rep, err := kpi.Compute(plan, data, kpi.Options{}, amsterdam(t))
	if err != nil {
		t.Fatal(err)
	}
	rep.Job, rep.Company, rep.Currency, rep.Lang = "monthly", fixtureCompany, "EUR", lang
	rep.GeneratedAt = fixtureReport(t, lang).GeneratedAt
	return rep
}

// TestTrendBeforeDataIsAGap checks that trend periods before the data starts are
// gaps, not zeros: empty cells in the Trend sheet, charts that show blanks as gaps,
// and in the PDF no column or point but a "no data" band over them.
func TestTrendBeforeDataIsAGap(t *testing.T) {
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := lateStartReport(t, lang)
			revenue, _ := rep.KPI(kpi.IDRevenue)
			for i, p := range revenue.Trend {
				if before := p.Value.Reason == kpi.BeforeData; before != (i < 6) {
					t.Fatalf("trend point %d (%s): %v, want before the data starts: %t", i, p.Period, p.Value, i < 6)
				}
			}

			b := renderXLSX(t, rep)
			f := openXLSX(t, b)
			tm, err := defaultTemplate(rep.Period.Kind)
			if err != nil {
				t.Fatal(err)
			}
			sheet := tm.label(lang, "sheet_trend")
			for j, id := range tm.Workbook.Trend {
				r, _ := rep.KPI(id)
				for i, p := range r.Trend {
					cell := col(j+2) + itoa(trendFirstRow+i)
					raw, err := f.GetCellValue(sheet, cell)
					if err != nil {
						t.Fatal(err)
					}
					if p.Value.Reason == kpi.BeforeData && raw != "" {
						t.Errorf("Trend %s (%s %s): %q, want an empty cell", cell, id, p.Period, raw)
					}
				}
			}
			for _, name := range zipNames(t, b) {
				if strings.HasPrefix(name, "xl/charts/chart") && !strings.Contains(zipFile(t, b, name), `dispBlanksAs val="gap"`) {
					t.Errorf("%s does not show blank cells as gaps", name)
				}
			}

			dir := writeFiles(t, map[string]string{"month.toml": `title = { en = "Charts", nl = "Grafieken" }
[[section]]
kind = "charts"
kpis = ["revenue", "bookings"]
`})
			ct, err := LoadTemplate(dir, "", period.Month)
			if err != nil {
				t.Fatal(err)
			}
			markers, bars := 0, 0
			for _, page := range renderPDFShapes(t, rep, ct) {
				for _, s := range page {
					switch {
					case strings.HasPrefix(s.path, "m c") && !strings.Contains(s.path, "l") && is(s.stroke, accentColor):
						markers++
					case s.path == "re" && s.paint == "f" && (is(s.fill, barColor) || is(s.fill, accentColor)):
						bars++
					}
				}
			}
			if want := kpi.TrendLength - 6; markers != want || bars != want {
				t.Errorf("%d points and %d columns, want %d of each", markers, bars, want)
			}
			text := pdfText(t, renderPDF(t, rep, ct, ""))
			noData := map[string]string{"en": "no data", "nl": "geen gegevens"}[lang]
			if n := strings.Count(text, noData); n != 2 {
				t.Errorf("%q %d times in the PDF, want once per chart:\n%s", noData, n, text)
			}
		})
	}
}

// TestYearAgoBeforeDataIsNA: a year-ago period before the data starts is n/a with the
// reason "before the data starts" in the workbook (empty cell, note) and the PDF's
// notes, not €0.00 (tryout F23).
func TestYearAgoBeforeDataIsNA(t *testing.T) {
	want := map[string]string{
		"en": "Year ago (October 2025): n/a, before the data starts",
		"nl": "Jaar eerder (oktober 2025): n.v.t., vóór het begin van de gegevens",
	}
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := lateStartReport(t, lang)
			f := openXLSX(t, renderXLSX(t, rep))
			sheet := sheetNames[lang][0]
			for id, n := range summaryRows(t, f, sheet) {
				if v, _ := f.GetCellValue(sheet, "F"+itoa(n)); v != "" {
					t.Errorf("Summary year ago of %s = %q, want an empty cell", id, v)
				}
				if note, _ := f.GetCellValue(sheet, "I"+itoa(n)); !strings.Contains(note, want[lang]) {
					t.Errorf("Summary note of %s = %q, want %q", id, note, want[lang])
				}
			}
			text := pdfText(t, renderPDF(t, rep, nil, ""))
			if !strings.Contains(text, strings.Join(strings.Fields(want[lang]), " ")) {
				t.Errorf("the PDF does not say %q:\n%s", want[lang], text)
			}
		})
	}
}
