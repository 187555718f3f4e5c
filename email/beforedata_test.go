package email

import (
	"strings"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

// TestComposeBeforeData: when the previous period comes before the data starts, the
// mail says so among its notes rather than leaving the change blank (tryout F23).
func TestComposeBeforeData(t *testing.T) {
	want := map[string]string{
		"en": "Previous period (September 2026): before the data starts",
		"nl": "Vorige periode (september 2026): vóór het begin van de gegevens",
	}
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			rep := reportOf(t, lang, "2026-10", "1200", "0")
			// Recompute with every window that ends before October empty.
			p := rep.Period
			plan := kpi.NewPlan(p)
			data := &kpi.Data{Windows: map[period.Range]*kpi.Measures{}, Has: rep.Has}
			for _, w := range plan.Windows {
				data.Windows[w] = &kpi.Measures{}
				if w.End > p.Prev().Range().End {
					data.Windows[w] = &kpi.Measures{SalesCount: 1, Buyers: 1, CustomersEnd: 1, NewCustomers: 1}
					data.Windows[w].Revenue.Add(1_000_0000)
				}
			}
			late, err := kpi.Compute(plan, data, kpi.Options{}, rep.Location)
			if err != nil {
				t.Fatal(err)
			}
			late.Job, late.Company, late.Currency, late.Lang, late.GeneratedAt = rep.Job, rep.Company, rep.Currency, lang, rep.GeneratedAt
			m, err := Compose(late, builtin(t, period.Month), "", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{"text": m.Text, "html": m.HTML} {
				if !strings.Contains(body, want[lang]) {
					t.Errorf("%s mail does not say %q:\n%s", name, want[lang], body)
				}
			}
		})
	}
}
