package reports

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

func renderPDF(t testing.TB, rep *kpi.Report, tmpl *Template, logo string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, rep, tmpl, logo); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pdfcpuOnce sync.Once

// validatePDF checks b with pdfcpu's strict validation.
func validatePDF(t *testing.T, b []byte) {
	t.Helper()
	pdfcpuOnce.Do(api.DisableConfigDir) // no config files in the user's home
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.Validate(bytes.NewReader(b), conf); err != nil {
		t.Fatalf("pdfcpu validate: %v", err)
	}
}

// pdfText returns the text pdftotext extracts from b, with every run of white space
// made one space.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	return strings.Join(strings.Fields(strings.Join(pdfPages(t, b), " ")), " ")
}

func TestRenderPDF(t *testing.T) {
	logo := writeLogo(t, t.TempDir())
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			b := renderPDF(t, rep, nil, logo)
			validatePDF(t, b)
			if again := renderPDF(t, rep, nil, logo); !bytes.Equal(b, again) {
				t.Error("the same report gave different PDFs")
			}
			text := pdfText(t, b)
			f := locale.New(lang, rep.Currency)
			revenue, _ := rep.KPI(kpi.IDRevenue)
			want := []string{
				rep.Company,
				f.Period(rep.Period), // "October 2026", "oktober 2026"
				f.Money(revenue.Value.V),
				map[string]string{"en": "page 1 of 3", "nl": "pagina 1 van 3"}[lang],
				reasonText(lang, kpi.NoSpendData), // the n/a note of CAC
				fixtureFormula,
				"Ëlise Müller",
			}
			for _, def := range kpi.Defs {
				want = append(want, def.Name(lang))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("the PDF's text lacks %q", w)
				}
			}
			// No render time in the file: the same data gives the same bytes (tryout F8).
			if strings.Contains(text, "07:00") {
				t.Errorf("the PDF shows the generation time:\n%s", text)
			}
			if t.Failed() {
				t.Logf("text: %s", text)
			}
		})
	}
}

func TestRenderPDFLogo(t *testing.T) {
	rep := fixtureReport(t, "en")
	dir := t.TempDir()
	notImage := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(notImage, []byte("GIF89a not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing": filepath.Join(dir, "none.png"), "not an image": notImage} {
		t.Run(name, func(t *testing.T) {
			err := RenderPDF(&bytes.Buffer{}, rep, nil, path)
			if !errors.Is(err, ErrLogo) {
				t.Fatalf("err = %v, want ErrLogo", err)
			}
		})
	}
	t.Run("png", func(t *testing.T) {
		with := renderPDF(t, rep, nil, writeLogo(t, dir))
		without := renderPDF(t, rep, nil, "")
		validatePDF(t, with)
		if !bytes.Contains(with, []byte("/Subtype /Image")) || bytes.Contains(without, []byte("/Subtype /Image")) {
			t.Error("the logo is not (only) in the PDF with a logo")
		}
	})
}

// TestRenderPDFEveryKind renders the built-in template of each period kind.
func TestRenderPDFEveryKind(t *testing.T) {
	for _, p := range []struct{ label string }{{"2026-W43"}, {"2026-Q3"}, {"2026-10"}} {
		t.Run(p.label, func(t *testing.T) {
			per := mustParse(t, p.label)
			rep := fixtureReportFor(t, per, "nl")
			validatePDF(t, renderPDF(t, rep, nil, ""))
			if _, err := renderXLSXErr(rep); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func renderXLSXErr(rep *kpi.Report) ([]byte, error) {
	var buf bytes.Buffer
	err := RenderXLSX(&buf, rep, nil)
	return buf.Bytes(), err
}

// TestPDFCharts checks that the charts are drawn as vectors from the trend: a line
// segment between each two adjacent periods with a value, rising where the value
// rises, a marker on each value, and a column for each value of a column chart.
func TestPDFCharts(t *testing.T) {
	dir := writeFiles(t, map[string]string{"month.toml": `title = { en = "Charts", nl = "Grafieken" }
[[section]]
kind = "charts"
kpis = ["revenue", "mrr", "churn_rate", "bookings"]
`})
	tm, err := LoadTemplate(dir, "", period.Month)
	if err != nil {
		t.Fatal(err)
	}
	rep := fixtureReport(t, "en")
	var segments []pdfShape
	markers, bars := 0, 0
	for _, page := range renderPDFShapes(t, rep, tm) {
		for _, s := range page {
			switch {
			case s.path == "m l" && s.paint == "S" && is(s.stroke, accentColor) && s.width == lineWidthPt(0.55):
				segments = append(segments, s)
			case strings.HasPrefix(s.path, "m c") && !strings.Contains(s.path, "l") && is(s.stroke, accentColor): // a circle
				markers++
			case s.path == "re" && s.paint == "f" && (is(s.fill, barColor) || is(s.fill, accentColor)):
				bars++
			}
		}
	}
	wantMarkers, wantBars := 0, 0
	at := 0 // the next segment
	for _, id := range tm.Sections[0].KPIs {
		r, _ := rep.KPI(id)
		for i, p := range r.Trend {
			if !p.Value.OK() {
				continue
			}
			if barChart(r.Def) {
				wantBars++
				continue
			}
			wantMarkers++
			if i == 0 || !r.Trend[i-1].Value.OK() {
				continue
			}
			if at >= len(segments) {
				t.Fatalf("%d line segments, want more (%s %s)", len(segments), id, p.Period)
			}
			s := segments[at]
			at++
			dy, dv := s.pts[3]-s.pts[1], p.Value.V.Cmp(r.Trend[i-1].Value.V)
			if dv != 0 && (dy > 0) != (dv > 0) || dv == 0 && math.Abs(dy) > 0.01 {
				t.Errorf("%s %s: the line goes %+.2f pt for a change of sign %d", id, p.Period, dy, dv)
			}
			if s.pts[2] <= s.pts[0] {
				t.Errorf("%s %s: the line goes back in time", id, p.Period)
			}
		}
	}
	if at != len(segments) || at < 3*(kpi.TrendLength-1) {
		t.Errorf("%d line segments, want %d", len(segments), at)
	}
	if markers != wantMarkers || bars != wantBars || bars == 0 {
		t.Errorf("%d markers and %d columns, want %d and %d", markers, bars, wantMarkers, wantBars)
	}
}

// TestDirection checks the colour of a card's change: green when it is good news for
// the KPI, red when it is bad, whichever way is better.
func TestDirection(t *testing.T) {
	tests := []struct {
		id     string
		change kpi.Value
		color  rgb
		sign   int
	}{
		{kpi.IDCAC, kpi.Exact(big.NewRat(25, 1)), badColor, 1},           // acquisition got dearer
		{kpi.IDCAC, kpi.Exact(big.NewRat(-25, 1)), goodColor, -1},        // and cheaper
		{kpi.IDChurnRate, kpi.Exact(big.NewRat(-1, 100)), goodColor, -1}, // fewer customers lost
		{kpi.IDChurnRate, kpi.Exact(big.NewRat(1, 100)), badColor, 1},
		{kpi.IDAvgSalesCycleDays, kpi.Exact(big.NewRat(3, 1)), badColor, 1},
		{kpi.IDRevenue, kpi.Exact(big.NewRat(1000, 1)), goodColor, 1},
		{kpi.IDRevenue, kpi.Exact(big.NewRat(-1000, 1)), badColor, -1},
		{kpi.IDRetentionRate, kpi.Exact(big.NewRat(-1, 100)), badColor, -1},
		{kpi.IDRevenue, kpi.Exact(new(big.Rat)), faintColor, 0},
		{kpi.IDCAC, kpi.NA(kpi.NoSpendData), faintColor, 0},
	}
	for _, tt := range tests {
		def, _ := kpi.Lookup(tt.id)
		c, sign := direction(kpi.Result{Def: def, Change: tt.change})
		if c != tt.color || sign != tt.sign {
			t.Errorf("%s change %v: colour %v, sign %d; want %v, %d", tt.id, tt.change.V, c, sign, tt.color, tt.sign)
		}
	}
}

// TestPDFCardArrows checks the arrows of the KPI cards in the PDF: one per change,
// pointing the way of the change, green or red by whether the KPI is better higher
// or lower. The fixture's CAC (n/a) is given a rise, which is bad news.
func TestPDFCardArrows(t *testing.T) {
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) { testPDFCardArrows(t, lang) })
	}
}

// testPDFCardArrows checks the arrows of the cards: up or down with the change,
// green or red by the KPI's better direction, and none for a change that shows as
// zero ("0.0 pp"), which is not signed either.
func testPDFCardArrows(t *testing.T, lang string) {
	rep := fixtureReport(t, lang)
	r := *rep
	r.KPIs = slices.Clone(rep.KPIs)
	for i := range r.KPIs {
		switch k := &r.KPIs[i]; k.Def.ID {
		case kpi.IDCAC:
			k.Value, k.Previous = kpi.Exact(big.NewRat(240, 1)), kpi.Exact(big.NewRat(200, 1))
			k.Change, k.ChangeRel = kpi.Exact(big.NewRat(40, 1)), kpi.Exact(big.NewRat(1, 5))
		case kpi.IDChurnRate: // 1.2% → 0.9%
			k.Value, k.Previous = kpi.Exact(big.NewRat(9, 1000)), kpi.Exact(big.NewRat(12, 1000))
			k.Change, k.ChangeRel = kpi.Exact(big.NewRat(-3, 1000)), kpi.Exact(big.NewRat(-1, 4))
		case kpi.IDRetentionRate: // 99.0% → 99.004%: +0.004 pp shows as 0.0 pp
			k.Value, k.Previous = kpi.Exact(big.NewRat(99004, 100000)), kpi.Exact(big.NewRat(99, 100))
			k.Change, k.ChangeRel = kpi.Exact(big.NewRat(4, 100000)), kpi.Exact(big.NewRat(4, 99000))
		case kpi.IDProfitMargin: // a fall of 0.03 pp, shown as 0.0 pp too
			k.Change = kpi.Exact(big.NewRat(-3, 100000))
		}
	}
	tm, err := defaultTemplate(period.Month)
	if err != nil {
		t.Fatal(err)
	}
	type arrow struct {
		id   string
		up   bool
		good bool
	}
	var want []arrow
	for _, id := range tm.Sections[0].KPIs {
		k, _ := r.KPI(id)
		if !k.Value.OK() || !k.Change.OK() || k.Change.V.Sign() == 0 || id == kpi.IDRetentionRate || id == kpi.IDProfitMargin {
			continue
		}
		up := k.Change.V.Sign() > 0
		want = append(want, arrow{id, up, up == (k.Def.Better == kpi.HigherIsBetter)})
	}
	var got []arrow
	for _, s := range renderPDFShapes(t, &r, tm)[0] {
		if s.path != "m l l l" || s.paint != "f" || len(s.pts) != 8 {
			continue // not a triangle
		}
		a := arrow{up: s.pts[5] > s.pts[1]} // the tip above the base (y up)
		switch {
		case is(s.fill, goodColor):
			a.good = true
		case !is(s.fill, badColor):
			t.Errorf("an arrow coloured %v", s.fill)
		}
		got = append(got, a)
	}
	if len(got) != len(want) {
		t.Fatalf("%d arrows, want %d: %v", len(got), len(want), want)
	}
	sawCAC, sawChurn := false, false
	for i, w := range want {
		if got[i].up != w.up || got[i].good != w.good {
			t.Errorf("%s: arrow up=%t good=%t, want up=%t good=%t", w.id, got[i].up, got[i].good, w.up, w.good)
		}
		sawCAC = sawCAC || w.id == kpi.IDCAC && w.up && !w.good
		sawChurn = sawChurn || w.id == kpi.IDChurnRate && !w.up && w.good
	}
	if !sawCAC || !sawChurn {
		t.Errorf("the test wants a rising CAC (%t) and a falling churn (%t)", sawCAC, sawChurn)
	}
	text := pdfText(t, renderPDF(t, &r, tm, ""))
	zero := map[string]string{"en": "0.0 pp vs 99.0%", "nl": "0,0 pp t.o.v. 99,0 %"}[lang]
	if !strings.Contains(text, zero) || strings.Contains(text, "+"+zero) || strings.Contains(text, "+0.0 pp") || strings.Contains(text, "+0,0 pp") {
		t.Errorf("the retention card does not show %q unsigned:\n%s", zero, text)
	}
}

// TestPDFNotes checks the notes section: every n/a of the period, the previous
// period and the year-ago period, with the periods and the reason, which only the
// notes show.
func TestPDFNotes(t *testing.T) {
	whens := map[string]map[string]string{
		"en": {
			kpi.IDCAC:               "This period / Previous period (September 2026) / Year ago (October 2025)",
			kpi.IDAvgSalesCycleDays: "Previous period (September 2026) / Year ago (October 2025)",
			kpi.IDPipelineVelocity:  "Previous period (September 2026) / Year ago (October 2025)",
		},
		"nl": {
			kpi.IDCAC:               "Deze periode / Vorige periode (september 2026) / Jaar eerder (oktober 2025)",
			kpi.IDAvgSalesCycleDays: "Vorige periode (september 2026) / Jaar eerder (oktober 2025)",
			kpi.IDPipelineVelocity:  "Vorige periode (september 2026) / Jaar eerder (oktober 2025)",
		},
	}
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			f := locale.New(lang, rep.Currency)
			text := pdfText(t, renderPDF(t, rep, nil, ""))
			for id, when := range whens[lang] {
				r, _ := rep.KPI(id)
				note := r.Def.Name(lang) + " " + when + ": " + f.NA() + ", " + reasonText(lang, r.Previous.Reason)
				if !strings.Contains(text, note) {
					t.Errorf("the PDF's notes lack %q", note)
				}
			}
		})
	}
}

// TestPDFCardPrevious checks that every card shows the previous value ("vs
// €125,068.57"), also where it does not fit beside the change: long Dutch amounts,
// and amounts per day in the millions.
func TestPDFCardPrevious(t *testing.T) {
	for _, lang := range locale.Languages {
		for _, wide := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s wide=%t", lang, wide), func(t *testing.T) {
				rep := fixtureReport(t, lang)
				if wide {
					rep = wideReport(rep)
				}
				tm, err := defaultTemplate(period.Month)
				if err != nil {
					t.Fatal(err)
				}
				f := locale.New(lang, rep.Currency)
				text := pdfText(t, renderPDF(t, rep, tm, ""))
				for _, id := range tm.Sections[0].KPIs {
					r, _ := rep.KPI(id)
					if !r.Value.OK() {
						continue
					}
					prev := tm.label(lang, "vs_previous", "value", f.Value(r.Previous, r.Def.Unit))
					if !strings.Contains(text, prev) {
						t.Errorf("the card of %s lacks %q", id, prev)
					}
				}
			})
		}
	}
}

// wideReport returns rep with amounts in the millions, falling from a negative
// previous value, and a target on pipeline velocity: the widest change lines.
func wideReport(rep *kpi.Report) *kpi.Report {
	r := *rep
	r.KPIs = slices.Clone(rep.KPIs)
	for i := range r.KPIs {
		k := &r.KPIs[i]
		if k.Def.Unit != kpi.Money && k.Def.Unit != kpi.MoneyPerDay {
			continue
		}
		v, p := big.NewRat(987_654_321, 100), big.NewRat(-123_456_789, 100)
		k.Value, k.Previous = kpi.Exact(v), kpi.Exact(p)
		k.Change = kpi.Exact(new(big.Rat).Sub(v, p))
		k.ChangeRel = kpi.Exact(new(big.Rat).Quo(k.Change.V, new(big.Rat).Abs(p)))
		if k.Def.ID == kpi.IDPipelineVelocity {
			k.Target, k.Status = big.NewRat(5_000_000, 1), kpi.StatusMet
		}
	}
	return &r
}
