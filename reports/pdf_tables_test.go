package reports

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// pdfPages returns the text pdftotext extracts from each page of b, with every run
// of white space made one space.
func pdfPages(t *testing.T, b []byte) []string {
	t.Helper()
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(p), " ")
	}
	return pages
}

// pageOf returns the number of the first page that contains s, or 0.
func pageOf(pages []string, s string) int {
	for i, p := range pages {
		if strings.Contains(p, s) {
			return i + 1
		}
	}
	return 0
}

// withDims returns rep with reps and regions named rep 1, rep 2... and region 1...,
// each with a share of the fixture's first rep and region.
func withDims(rep *kpi.Report, reps, regions int) *kpi.Report {
	r := *rep
	r.ByRep, r.ByRegion = nil, nil
	for i := range reps {
		d := rep.ByRep[len(rep.ByRep)-1]
		d.Name = fmt.Sprintf("Rep %d", i+1)
		r.ByRep = append(r.ByRep, d)
	}
	for i := range regions {
		d := rep.ByRegion[len(rep.ByRegion)-1]
		d.Name = fmt.Sprintf("Region %d", i+1)
		r.ByRegion = append(r.ByRegion, d)
	}
	return &r
}

// TestPDFTablesShareAPage checks where the built-in monthly template puts the rep and
// region tables: the region table follows the rep table on the page of the charts,
// in tighter rows when only that makes it fit (the demo company has 7 reps and 6
// regions), and does not sit alone on a page before the appendix. A rep table too
// long for the rest of the page moves, whole, to the next, and the region table
// follows it there.
func TestPDFTablesShareAPage(t *testing.T) {
	titles := map[string][2]string{"en": {"Per rep in", "Per region in"}, "nl": {"Per verkoper in", "Per regio in"}}
	appendix := map[string]string{"en": "Appendix: definitions", "nl": "Bijlage: definities"}
	charts := map[string]string{"en": "Trends over the last", "nl": "Trends over de laatste"}
	tests := []struct {
		name          string
		reps, regions int // 0: the fixture's
		chartsPage    int
		tablesPage    int
		appendixPage  int
		pages         int
		tight         []string // the languages in which the rows are lower than tableRowH
	}{
		// In Dutch the notes of the fixture's n/a figures run onto the second page.
		{name: "fixture", chartsPage: 2, tablesPage: 2, appendixPage: 3, pages: 3, tight: []string{"nl"}},
		{name: "demo", reps: 7, regions: 6, chartsPage: 2, tablesPage: 2, appendixPage: 3, pages: 3, tight: []string{"en", "nl"}},
		{name: "many reps", reps: 22, regions: 6, chartsPage: 2, tablesPage: 3, appendixPage: 4, pages: 4},
	}
	for _, tt := range tests {
		for _, lang := range locale.Languages {
			t.Run(tt.name+" "+lang, func(t *testing.T) {
				rep := fixtureReport(t, lang)
				if tt.reps > 0 {
					rep = withDims(rep, tt.reps, tt.regions)
				}
				pages := pdfPages(t, renderPDF(t, rep, nil, ""))
				got := []int{pageOf(pages, charts[lang]), pageOf(pages, titles[lang][0]), pageOf(pages, titles[lang][1]), pageOf(pages, appendix[lang]), len(pages)}
				want := []int{tt.chartsPage, tt.tablesPage, tt.tablesPage, tt.appendixPage, tt.pages}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("pages of the charts, the rep table, the region table, the appendix and the total (-want +got):\n%s", diff)
				}

				// The row height the layout chose for the tables.
				d := monthDoc(t, rep)
				if err := d.build(); err != nil {
					t.Fatal(err)
				}
				wantTight := slices.Contains(tt.tight, lang)
				if tight := d.rowH < tableRowH; tight != wantTight || d.rowH < tableRowMinH {
					t.Errorf("rows %.1f mm high, want tight %t (normal %.1f, least %.1f)", d.rowH, wantTight, tableRowH, tableRowMinH)
				}
			})
		}
	}
}

// TestTableRowHeight checks the choice of the row height of the rep and region
// tables: normal rows when both fit below y, the highest rows that make both fit
// when normal rows do not, down to tableRowMinH, and normal rows again when not
// even those fit (the tables then break as they must).
func TestTableRowHeight(t *testing.T) {
	rep := fixtureReport(t, "en")
	tm, err := defaultTemplate(period.Month)
	if err != nil {
		t.Fatal(err)
	}
	first := slices.IndexFunc(tm.Sections, func(s Section) bool { return s.Kind == SectionByRep })
	if first < 0 || tm.Sections[first+1].Kind != SectionByRegion {
		t.Fatal("the monthly template has no rep table followed by the region table")
	}
	// Both tables: their titles, header rows, a row per rep or region and the totals.
	rows := float64(len(rep.ByRep) + 1 + len(rep.ByRegion) + 1)
	height := func(rowH float64) float64 { return 2*(tableTitleH+tableHeadH) + sectionGapMM + rows*rowH }
	tests := []struct {
		name string
		room float64 // mm left on the page
		want float64
	}{
		{"both fit", height(tableRowH), tableRowH},
		{"both fit with room to spare", height(tableRowH) + 20, tableRowH},
		{"both fit in rows of 5 mm", height(5.0), 5.0},
		{"both fit in rows of 5.07 mm", height(5.07), 5.0},
		{"both fit in the least rows", height(tableRowMinH), tableRowMinH},
		{"they do not fit together", height(tableRowMinH) - 1, tableRowH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newPDFDoc(rep, tm, nil, testFonts(t), 0)
			if err != nil {
				t.Fatal(err)
			}
			d.y = contentBot - tt.room
			got, err := d.tableRowHeight(first)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("row height %.2f mm, want %.2f", got, tt.want)
			}
		})
	}
}

// TestPDFTableType checks that the rep and region tables keep their normal type in
// both languages, also with the long Dutch headers: the headers wrap onto at most two
// lines, breaking "Verkoopgesprekken" at its soft hyphen, and the body does not
// shrink.
func TestPDFTableType(t *testing.T) {
	for _, lang := range locale.Languages {
		for _, kind := range []string{SectionByRep, SectionByRegion} {
			t.Run(lang+" "+kind, func(t *testing.T) {
				rep := withDims(fixtureReport(t, lang), 7, 6) // names as long as the demo's
				d := monthDoc(t, rep)
				tb, _ := d.dimSectionOf(kind)
				headers, rows := d.dimCells(tb)
				l := d.tableLayout(headers, rows)
				if l.size != tableFontSize || l.headSize < tableHeadMinSize-1e-9 {
					t.Errorf("the table is set in %.1f pt with a header in %.1f pt, want %.1f pt and at least %.1f pt", l.size, l.headSize, tableFontSize, tableHeadMinSize)
				}
				sum := 0.0
				for j, h := range headers {
					sum += l.widths[j]
					d.font("B", l.headSize)
					if ls := d.headerLines(h, l.widths[j]-2*tableCellPad); len(ls) > 2 {
						t.Errorf("header %q takes %d lines: %q", h, len(ls), ls)
					}
				}
				if sum > contentW+1e-6 {
					t.Errorf("the columns are %.1f mm wide together, more than the page's %.1f mm", sum, contentW)
				}
			})
		}
	}
}

// TestHeaderLines checks how a table header wraps: at spaces, and inside a word only
// at a soft hyphen, where the line ends with a hyphen.
func TestHeaderLines(t *testing.T) {
	rep := fixtureReport(t, "nl")
	d := monthDoc(t, rep)
	tests := []struct {
		header string
		width  float64 // mm; 0: the least width of two lines
		want   []string
	}{
		{"Verkoop\u00adgesprekken", 100, []string{"Verkoopgesprekken"}},
		{"Verkoop\u00adgesprekken", 0, []string{"Verkoop-", "gesprekken"}},
		{"Gekwalifi\u00adceerde leads", 0, []string{"Gekwalifi-", "ceerde leads"}},
		{"Gem. bestelwaarde", 0, []string{"Gem.", "bestelwaarde"}},
		{"Avg. order value", 0, []string{"Avg. order", "value"}},
		{"Lead\u00adconversie", 1, []string{"Lead-", "conversie"}}, // narrower than a piece: a line each
		{"Sales", 0, []string{"Sales"}},
		{"\u00adodd\u00ad\u00ad cases\u00ad", 100, []string{"odd cases"}},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			d.font("B", tableHeadSize)
			w := tt.width
			if w == 0 {
				w = d.headerWidth(tt.header)
			}
			if diff := cmp.Diff(tt.want, d.headerLines(tt.header, w)); diff != "" {
				t.Errorf("lines at %.1f mm (-want +got):\n%s", w, diff)
			}
		})
	}
}

// TestSoftHyphenLabels checks that a soft hyphen of a label reaches only the PDF's
// table headers: the workbook's headers and the label everywhere else are without it.
func TestSoftHyphenLabels(t *testing.T) {
	tm, err := defaultTemplate(period.Month)
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.hyphenatedLabel("nl", "col_sales_calls"); got != "Verkoop\u00adgesprekken" {
		t.Errorf("hyphenated label %q", got)
	}
	if got := tm.label("nl", "col_sales_calls"); got != "Verkoopgesprekken" {
		t.Errorf("label %q", got)
	}
	rep := fixtureReport(t, "nl")
	f := openXLSX(t, renderXLSX(t, rep))
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, cell := range row {
				if strings.Contains(cell, softHyphen) {
					t.Errorf("%s row %d column %d: %q has a soft hyphen", sheet, i+1, j+1, cell)
				}
			}
		}
	}
	header, err := f.GetRows(sheetNames["nl"][3])
	if err != nil || len(header) == 0 || !slices.Contains(header[0], "Verkoopgesprekken") {
		t.Errorf("the header of Per verkoper lacks Verkoopgesprekken: %v %v", header, err)
	}
}

// monthDoc returns the PDF document of rep with the built-in monthly template, not
// yet built.
func monthDoc(t *testing.T, rep *kpi.Report) *pdfDoc {
	t.Helper()
	tm, err := defaultTemplate(period.Month)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newPDFDoc(rep, tm, nil, testFonts(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testFonts returns the base fonts without fallbacks.
func testFonts(t *testing.T) *fontSet {
	t.Helper()
	fs, err := loadFonts(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
