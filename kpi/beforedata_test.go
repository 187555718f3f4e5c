package kpi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
)

// TestTrendBeforeData checks the trend of data that starts mid-trend: the periods
// before the first data are n/a (BeforeData) for every KPI, not zero; a quiet period
// after the data started stays a real zero; data long before the trend marks nothing.
func TestTrendBeforeData(t *testing.T) {
	midTrend := dataset{has: all,
		customers: []customerRow{{"C1", "2026-05-03", ""}},
		orders: []orderRow{
			{"C1", "2026-05-04", "100", "0", false, 0},
			{"C1", "2026-06-04", "120", "0", false, 0},
			// no orders in July: a real zero
			{"C1", "2026-08-04", "80", "0", false, 0},
			{"C1", "2026-10-04", "90", "0", false, 0},
		}}
	r := midTrend.report(t, "2026-10", kpi.Options{})
	if r.DataStart == nil || r.DataStart.Label() != "2026-05" {
		t.Errorf("DataStart = %v, want 2026-05", r.DataStart)
	}
	wantRevenue := []string{"-", "-", "-", "-", "-", "-", "100", "120", "0", "80", "0", "90"}
	for _, res := range r.KPIs {
		for i, p := range res.Trend {
			before := p.Value.Reason == kpi.BeforeData
			if before != (wantRevenue[i] == "-") {
				t.Errorf("%s of %s: %v, want before the data starts: %t", res.Def.ID, p.Period, p.Value, wantRevenue[i] == "-")
			}
			if res.Def.ID == kpi.IDRevenue && wantRevenue[i] != "-" {
				if d := cmp.Diff(val(wantRevenue[i]), p.Value, cmpOpts); d != "" {
					t.Errorf("revenue of %s (-want +got):\n%s", p.Period, d)
				}
			}
		}
	}

	// An order a year before the trend: every trend period is after the data started.
	early := midTrend
	early.orders = append([]orderRow{{"C1", "2025-01-10", "50", "0", false, 0}}, midTrend.orders...)
	early.customers = []customerRow{{"C1", "2025-01-09", ""}}
	r = early.report(t, "2026-10", kpi.Options{})
	if r.DataStart != nil {
		t.Errorf("DataStart = %v, want nil", r.DataStart)
	}
	for _, res := range r.KPIs {
		for _, p := range res.Trend {
			if p.Value.Reason == kpi.BeforeData {
				t.Errorf("%s of %s is before the data starts", res.Def.ID, p.Period)
			}
		}
	}
}
