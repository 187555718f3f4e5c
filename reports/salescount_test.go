package reports

import (
	"strings"
	"testing"
)

// TestSalesCountSingular: one sale is "1 sale" / "1 verkoop" beside gross sales, in
// the PDF card and the workbook's Summary note; more are "2 sales" / "2 verkopen"
// (tryout F24).
func TestSalesCountSingular(t *testing.T) {
	want := map[string]map[int64]string{
		"en": {1: "1 sale", 2: "2 sales"},
		"nl": {1: "1 verkoop", 2: "2 verkopen"},
	}
	for _, lang := range []string{"en", "nl"} {
		for _, n := range []int64{1, 2} {
			rep := fixtureReport(t, lang)
			rep.Current.SalesCount = n
			w := want[lang][n]
			text := " " + pdfText(t, renderPDF(t, rep, nil, "")) + " "
			if !strings.Contains(text, " "+w+" ") {
				t.Errorf("%s: the PDF does not say %q", lang, w)
			}
			f := openXLSX(t, renderXLSX(t, rep))
			sheet := sheetNames[lang][0]
			row := summaryRows(t, f, sheet)["sales"]
			if note, _ := f.GetCellValue(sheet, "I"+itoa(row)); note != w {
				t.Errorf("%s: Summary note of sales = %q, want %q", lang, note, w)
			}
		}
	}
}
