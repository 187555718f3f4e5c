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

// TestPreviousAndYearAgoBeforeData: the previous and year-ago values of a period
// whose data starts after them are n/a (BeforeData) for every KPI, not zero, and so
// is the change against such a previous period (tryout F23).
func TestPreviousAndYearAgoBeforeData(t *testing.T) {
	d := dataset{has: all,
		customers: []customerRow{{"C1", "2026-09-03", ""}},
		orders: []orderRow{
			{"C1", "2026-09-04", "100", "0", false, 0},
			{"C1", "2026-10-04", "90", "0", false, 0},
		}}
	for _, tc := range []struct {
		period              string
		prevBefore, yaBefor bool
	}{
		{"2026-10", false, true}, // previous (September) has data, October 2025 not
		{"2026-09", true, true},  // the data starts in the report's own period
	} {
		r := d.report(t, tc.period, kpi.Options{})
		for _, res := range r.KPIs {
			if got := res.YearAgo.Reason == kpi.BeforeData; got != tc.yaBefor {
				t.Errorf("%s: year ago of %s = %v, want before the data starts: %t", tc.period, res.Def.ID, res.YearAgo, tc.yaBefor)
			}
			if got := res.Previous.Reason == kpi.BeforeData; got != tc.prevBefore {
				t.Errorf("%s: previous of %s = %v, want before the data starts: %t", tc.period, res.Def.ID, res.Previous, tc.prevBefore)
			}
			if tc.prevBefore && res.Value.OK() && res.Change.Reason != kpi.BeforeData {
				t.Errorf("%s: change of %s = %v, want n/a before the data starts", tc.period, res.Def.ID, res.Change)
			}
		}
	}

	// Data from long before: nothing is marked.
	early := d
	early.customers = []customerRow{{"C1", "2024-01-09", ""}}
	r := early.report(t, "2026-10", kpi.Options{})
	for _, res := range r.KPIs {
		if res.YearAgo.Reason == kpi.BeforeData || res.Previous.Reason == kpi.BeforeData {
			t.Errorf("%s: %v / %v marked before the data starts", res.Def.ID, res.Previous, res.YearAgo)
		}
	}
	// No data at all: the report says so itself, nothing is marked.
	none := dataset{has: all}
	r = none.report(t, "2026-10", kpi.Options{})
	for _, res := range r.KPIs {
		if res.YearAgo.Reason == kpi.BeforeData || res.Previous.Reason == kpi.BeforeData {
			t.Errorf("empty data: %s marked before the data starts", res.Def.ID)
		}
	}
}
