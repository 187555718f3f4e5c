package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/reports"
)

// kpis of a "to date" report (tryout F6): the table's title line gives the
// to-date range, not the whole month, the in-progress status reads n/a with its
// reason, and the JSON carries period.to_date; a complete report has neither.
func TestKpisToDate(t *testing.T) {
	labels, err := reports.LoadLabels("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, title, status string }{
		{"en", "October 2026 (to date: 1–3 October 2026, Europe/Amsterdam)", "n/a: period in progress"},
		{"nl", "oktober 2026 (tot nu toe: van 1 tot en met 3 oktober 2026, Europe/Amsterdam)", "n.v.t.: periode loopt nog"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			rep := statusReport(t, tt.lang)
			rep.AsOf = time.Date(2026, 10, 3, 10, 0, 0, 0, rep.Start.Location())
			for i := range rep.KPIs {
				if rep.KPIs[i].Target != nil {
					rep.KPIs[i].Status = kpi.StatusInProgress // as the runner sets it
				}
			}
			var table strings.Builder
			if err := printTable(&table, rep, labels); err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(table.String(), "\n")
			if !strings.HasSuffix(first, tt.title) {
				t.Errorf("title line %q, want it to end in %q", first, tt.title)
			}
			if !strings.Contains(table.String(), "  "+tt.status+"\n") {
				t.Errorf("no status %q in the table:\n%s", tt.status, table.String())
			}
			var got struct {
				Period struct {
					ToDate *string `json:"to_date"`
				} `json:"period"`
			}
			b, err := rep.JSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Period.ToDate == nil || *got.Period.ToDate != "2026-10-03" {
				t.Errorf("JSON period.to_date = %v, want 2026-10-03", got.Period.ToDate)
			}
			rep.AsOf = time.Time{}
			if b, _ := rep.JSON(nil); strings.Contains(string(b), "to_date") {
				t.Errorf("a complete report's JSON has to_date: %s", b)
			}
		})
	}
}
