package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// kpis of a report whose data starts in the previous period (tryout F23): the year-ago
// column says n/a with the reason "before the data starts", not €0.00, and the JSON's
// year_ago is null.
func TestKpisYearAgoBeforeData(t *testing.T) {
	labels, err := reports.LoadLabels("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"en": "  Year ago (October 2025): before the data starts\n",
		"nl": "  Jaar eerder (oktober 2025): vóór het begin van de gegevens\n",
	}
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			loc, err := time.LoadLocation("Europe/Amsterdam")
			if err != nil {
				t.Fatal(err)
			}
			p := period.Period{Kind: period.Month, Year: 2026, N: 10}
			plan := kpi.NewPlan(p)
			data := &kpi.Data{Windows: map[period.Range]*kpi.Measures{}, Has: kpi.Availability{Cost: true}}
			for _, w := range plan.Windows {
				data.Windows[w] = &kpi.Measures{}
				if w.End > p.Prev().Range().Start { // the data starts in September 2026
					data.Windows[w] = &kpi.Measures{SalesCount: 1, Buyers: 1, CustomersEnd: 1}
					data.Windows[w].Revenue.Add(100_0000)
				}
			}
			rep, err := kpi.Compute(plan, data, kpi.Options{}, loc)
			if err != nil {
				t.Fatal(err)
			}
			rep.Job, rep.Company, rep.Currency, rep.Lang = "monthly", "Acme B.V.", "EUR", lang
			var table strings.Builder
			if err := printTable(&table, rep, labels); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table.String(), want[lang]) {
				t.Errorf("no %q in the table:\n%s", want[lang], table.String())
			}
			for _, line := range strings.Split(table.String(), "\n") {
				// Revenue has a value and a previous value: its only n/a is the year ago.
				if strings.HasPrefix(line, kpi.Defs[0].Name(lang)) && !strings.Contains(line, map[string]string{"en": " n/a ", "nl": " n.v.t. "}[lang]) {
					t.Errorf("revenue row has no n/a year-ago value: %q", line)
				}
			}
			b, err := rep.JSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				KPIs []struct {
					ID      string          `json:"id"`
					YearAgo json.RawMessage `json:"year_ago"`
				} `json:"kpis"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			for _, k := range got.KPIs {
				if string(k.YearAgo) != "null" {
					t.Errorf("JSON year_ago of %s = %s, want null", k.ID, k.YearAgo)
				}
			}
		})
	}
}
