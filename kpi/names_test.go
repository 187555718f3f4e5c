package kpi_test

import (
	"testing"

	"github.com/kpireport/kpireport/kpi"
)

// TestNames pins every KPI's names to the KPI contract (the spec's kpi-definitions.md,
// docs/kpis.md): the English column and the seed's Dutch name, verbatim, copied from
// the spec rather than from the code, in the spec's order.
func TestNames(t *testing.T) {
	spec := []struct{ id, nl, en string }{
		{"revenue", "Verkoopopbrengst", "Sales revenue"},
		{"cac", "Klantverwervingskosten (CAC)", "Customer acquisition cost"},
		{"clv", "Klantlevensduurwaarde (CLV)", "Customer lifetime value"},
		{"avg_sales_cycle_days", "Gemiddelde duur van verkoopcyclus", "Average sales cycle length"},
		{"sales_growth", "Maandelijkse verkoopgroei", "Sales growth"},
		{"aov", "Gemiddelde bestelwaarde", "Average order value"},
		{"arpc", "Gemiddelde opbrengst per klant", "Average revenue per customer"},
		{"pipeline_velocity", "Verkooppijplijn snelheid", "Pipeline velocity"},
		{"churn_rate", "Klantverlooppercentage", "Customer churn rate"},
		{"retention_rate", "Klantbehoudspercentage", "Customer retention rate"},
		{"mrr", "Maandelijkse terugkerende opbrengst (MRR)", "Monthly recurring revenue"},
		{"profit_margin", "Gemiddelde winstmarge", "Profit margin"},
		{"lead_conversion_rate", "Leads conversiepercentage", "Lead conversion rate"},
		{"bookings", "Maandelijkse verkoopboekingen", "Bookings"},
		{"upsell_cross_sell_revenue", "Upsell- en cross-sell-opbrengst", "Upsell and cross-sell revenue"},
		{"qualified_leads", "Gekwalificeerde leads", "Qualified leads"},
		{"sales_calls", "Verkoopgesprekken", "Sales calls"},
		{"sales", "Maandelijkse verkopen", "Sales (gross)"},
	}
	if len(kpi.Defs) != len(spec) {
		t.Errorf("kpi.Defs has %d KPIs, the spec %d", len(kpi.Defs), len(spec))
	}
	for i, s := range spec {
		t.Run(s.id, func(t *testing.T) {
			def, ok := kpi.Lookup(s.id)
			if !ok {
				t.Fatalf("no KPI %q", s.id)
			}
			for lang, want := range map[string]string{"en": s.en, "nl": s.nl} {
				if got := def.Name(lang); got != want {
					t.Errorf("Name(%q) = %q, want %q", lang, got, want)
				}
			}
			if i < len(kpi.Defs) && kpi.Defs[i].ID != s.id {
				t.Errorf("kpi.Defs[%d] is %q, want %q (the spec's order)", i, kpi.Defs[i].ID, s.id)
			}
		})
	}
}
