package reports

import (
	"fmt"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

// TestSummaryNotesFit: the data-check note has its own merged row A4:J4, tall enough
// for its wrapped text, and every Summary row is tall enough for its wrapped note, so
// no text runs into the header or the next row (tryout F20).
func TestSummaryNotesFit(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			rep.Quality = &kpi.Quality{
				Rules:     kpi.QualityRules{MinOrders: 1, Freshness: 72 * time.Hour, MaxDrop: 0.5},
				HasData:   true,
				Watermark: period.FromYMD(2026, 10, 29),
				Reaches:   time.Date(2026, 10, 30, 0, 0, 0, 0, amsterdam(t)),
				Due:       time.Date(2026, 10, 29, 0, 0, 0, 0, amsterdam(t)),
				Orders:    34, Base: 40, BaseOK: true,
			}
			f := openXLSX(t, renderXLSX(t, rep))
			sheet := sheetNames[lang][0]
			note, err := f.GetCellValue(sheet, "A4")
			if err != nil || note == "" {
				t.Fatalf("A4 = %q, %v: want the data-check note", note, err)
			}
			merged, err := f.GetMergeCells(sheet)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range merged {
				if m.GetStartAxis() == "A4" && m.GetEndAxis() == "J4" {
					found = true
				}
			}
			if !found {
				t.Errorf("the data-check note is not merged over A4:J4 (merged: %v)", merged)
			}
			// At most ~1.2 characters per unit of width fit in a line of 11 pt Arial.
			check := func(cell, text string, width float64) {
				t.Helper()
				row := 0
				fmt.Sscanf(cell[1:], "%d", &row)
				need := (len([]rune(text)) + int(width*1.2) - 1) / int(width*1.2)
				h, err := f.GetRowHeight(sheet, row)
				if err != nil {
					t.Fatal(err)
				}
				if h < float64(need)*14 {
					t.Errorf("row %d is %.1f pt high, too low for %d lines of %q", row, h, need, text)
				}
			}
			check("A4", note, 240)
			rows := summaryRows(t, f, sheet)
			twoLines := 0
			for id, n := range rows {
				text, err := f.GetCellValue(sheet, "I"+itoa(n))
				if err != nil {
					t.Fatal(err)
				}
				if len([]rune(text)) > 70 {
					twoLines++
				}
				check("I"+itoa(n), text, 58)
				_ = id
			}
			if twoLines == 0 {
				t.Fatal("the fixture has no note longer than a line: the test checks nothing")
			}
		})
	}
}
