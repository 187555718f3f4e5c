package kpi_test

import (
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

func TestOctoberMeasures(t *testing.T) {
	r := october.report(t, "2026-10", kpi.Options{})
	for _, tt := range []struct {
		name      string
		got, want kpi.Measures
	}{
		{"P", r.Current, octoberP},
		{"P-1", r.Previous, octoberPrev},
		{"P-1y", r.YearAgo, octoberYearAgo},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, tt.got, cmpOpts); d != "" {
				t.Errorf("measures (-want +got):\n%s", d)
			}
		})
	}
	t.Run("TTM", func(t *testing.T) {
		// The windows CLV uses, from the fixture's comments in TestOctoberKPIs.
		_, data := october.data(t, "2026-10")
		for _, tt := range []struct {
			label                                string
			revenue                              string
			salesCount, buyers, start, lost, end int64
		}{
			{"2026-10", "1560", 9, 5, 5, 4, 3},
			{"2026-09", "1510", 7, 5, 5, 2, 4},
			{"2025-10", "450", 3, 2, 0, 0, 5},
		} {
			w := data.Windows[mustPeriod(t, tt.label).TTM()]
			got := []int64{w.SalesCount, w.Buyers, w.CustomersStart, w.CustomersLost, w.CustomersEnd}
			want := []int64{tt.salesCount, tt.buyers, tt.start, tt.lost, tt.end}
			if w.Revenue.String() != tt.revenue || !slices.Equal(got, want) {
				t.Errorf("TTM(%s): revenue %s, [sales buyers start lost end] %v; want %s, %v",
					tt.label, w.Revenue.String(), got, tt.revenue, want)
			}
		}
	})
}

// TestOctoberKPIs checks every KPI of the october fixture against hand-computed values.
//
// CLV: W = TTM(P) = [2025-11-01, 2026-11-01) holds the orders of P (400, 4 sales), P−1
// (360, 3 sales), August (300) and March (500): revenue 1560, sales_count 9, buyers C1,
// C2, C3, C4, C8 = 5; customer_value = 1560/9 × 9/5 = 312. Its cohort (acquired before
// 2025-11-01, not churned before): C1, C2, C6, C7, C9 = 5, of which C2, C6, C7, C9 churn
// inside W = 4: lifespan 5/4, clv = 390.
// For P−1, W = [2025-10-01, 2026-10-01): revenue 350 + 500 + 300 + 360 = 1510, sales 7,
// buyers C1, C2, C3, C5, C9 = 5: customer_value 302; cohort C1, C2, C6, C7, C9 = 5, lost
// C7, C9 = 2: lifespan 5/2, clv = 755.
// For P−1y, W = [2024-11-01, 2025-11-01) has sales but nobody acquired before its start:
// churn_rate(W) is n/a and no lifespan is configured, so clv is n/a (no customers at the start).
func TestOctoberKPIs(t *testing.T) {
	type want struct {
		value, previous, change, changeRel, yearAgo string
		status                                      kpi.Status
	}
	const noPrev = "n/a:" + string(kpi.NoPrevious)
	wants := map[string]want{
		// revenue 400 / 360 / 350; change 40, 40/360 = 1/9; target 400: equal → met
		kpi.IDRevenue: {"400", "360", "40", "1/9", "350", kpi.StatusMet},
		// cac = spend / new: 410/2 = 205, 150/1 = 150, 90/1 = 90; change 55, 55/150 = 11/30;
		// target 210, lower is better, 205 ≤ 210 → met
		kpi.IDCAC: {"205", "150", "55", "11/30", "90", kpi.StatusMet},
		// clv 390 / 755 / n/a (see above); change −365, −365/755 = −73/151;
		// target 500: |390 − 500| = 110 > 50 → missed
		kpi.IDCLV: {"390", "755", "-365", "-73/151", "n/a:no_customers_at_ttm_start", kpi.StatusMissed},
		// cycle_days / won_deals: 61/2 = 30.5, 0/1 = 0, 30/1 = 30; previous is 0, so no
		// relative change; target 30, lower is better: 30.5 > 30, gap 0.5 ≤ 3 → near
		kpi.IDAvgSalesCycleDays: {"61/2", "0", "61/2", noPrev, "30", kpi.StatusNear},
		// (400 − 360)/360 = 1/9; (360 − 300)/300 = 1/5; (350 − 100)/100 = 5/2;
		// change 1/9 − 1/5 = −4/45, relative −4/45 ÷ 1/5 = −4/9; target 0.1: 1/9 ≥ 0.1 → met
		kpi.IDSalesGrowth: {"1/9", "1/5", "-4/45", "-4/9", "5/2", kpi.StatusMet},
		// revenue / sales_count: 400/4 = 100, 360/3 = 120, 350/2 = 175; change −20, −1/6;
		// target 120: gap 20 > 12 → missed
		kpi.IDAOV: {"100", "120", "-20", "-1/6", "175", kpi.StatusMissed},
		// revenue / buyers: 400/3, 360/3 = 120, 350/2 = 175; change 40/3, (40/3)/120 = 1/9;
		// no target → none
		kpi.IDARPC: {"400/3", "120", "40/3", "1/9", "175", kpi.StatusNone},
		// won_value / (cycle_days / won_deals): 1500 / 30.5 = 3000/61; P−1 has cycle_days 0
		// → n/a, so no change; P−1y 600 / 30 = 20; target 50: gap 50/61 ≤ 5 → near
		kpi.IDPipelineVelocity: {"3000/61", "n/a:zero_cycle_days", noPrev, noPrev, "20", kpi.StatusNear},
		// lost / start: 2/4, 1/4, 0/5; change 1/4, relative 1; target 0.4, lower is better:
		// 0.5 > 0.4, gap 0.1 > 0.04 → missed
		kpi.IDChurnRate: {"1/2", "1/4", "1/4", "1", "0", kpi.StatusMissed},
		// (start − lost)/start: 2/4, 3/4, 5/5; change −1/4, −1/3; target 0.55: gap 0.05 ≤ 0.055 → near
		kpi.IDRetentionRate: {"1/2", "3/4", "-1/4", "-1/3", "1", kpi.StatusNear},
		// recurring revenue of the month itself: 270, 180, 150; change 90, 1/2; target 250 → met
		kpi.IDMRR: {"270", "180", "90", "1/2", "150", kpi.StatusMet},
		// (revenue − cost)/revenue: 190/400 = 19/40, 160/360 = 4/9, 200/350 = 4/7;
		// change 19/40 − 4/9 = 11/360, relative 11/360 ÷ 4/9 = 11/160;
		// target 0.5: gap 0.025 ≤ 0.05 → near
		kpi.IDProfitMargin: {"19/40", "4/9", "11/360", "11/160", "4/7", kpi.StatusNear},
		// converted / created: 1/4, 1/2, 1/3; change −1/4, −1/2; target 0.25: equal → met
		kpi.IDLeadConversionRate: {"1/4", "1/2", "-1/4", "-1/2", "1/3", kpi.StatusMet},
		// won_value: 1500, 200, 600; change 1300, 13/2; target 1650: gap 150 ≤ 165 → near
		kpi.IDBookings: {"1500", "200", "1300", "13/2", "600", kpi.StatusNear},
		// expansion: 130, 60, 0; change 70, 7/6; target 100 → met
		kpi.IDUpsellCrossSell: {"130", "60", "70", "7/6", "0", kpi.StatusMet},
		// qualified: 3, 1, 1; change 2, 2; target 4: gap 1 > 0.4 → missed
		kpi.IDQualifiedLeads: {"3", "1", "2", "2", "1", kpi.StatusMissed},
		// outbound calls: 2, 3, 1; change −1, −1/3; target 3: gap 1 > 0.3 → missed
		kpi.IDSalesCalls: {"2", "3", "-1", "-1/3", "1", kpi.StatusMissed},
		// gross sales: 430, 360, 350; change 70, 7/36; no target → none
		kpi.IDSales: {"430", "360", "70", "7/36", "350", kpi.StatusNone},
	}
	r := october.report(t, "2026-10", kpi.Options{Targets: octoberTargets})
	if len(r.KPIs) != 18 || len(wants) != 18 {
		t.Fatalf("%d KPIs, %d expectations; want 18", len(r.KPIs), len(wants))
	}
	for i, res := range r.KPIs {
		if res.Def != kpi.Defs[i] {
			t.Errorf("KPI %d is %s, want %s (order of Defs)", i, res.Def.ID, kpi.Defs[i].ID)
		}
		t.Run(res.Def.ID, func(t *testing.T) {
			w, ok := wants[res.Def.ID]
			if !ok {
				t.Fatalf("no expectation")
			}
			got := []kpi.Value{res.Value, res.Previous, res.Change, res.ChangeRel, res.YearAgo}
			exp := []kpi.Value{val(w.value), val(w.previous), val(w.change), val(w.changeRel), val(w.yearAgo)}
			if d := cmp.Diff(exp, got, cmpOpts); d != "" {
				t.Errorf("[value previous change change_rel year_ago] (-want +got):\n%s", d)
			}
			if res.Status != w.status {
				t.Errorf("status = %s, want %s", res.Status, w.status)
			}
			if !cmp.Equal(res.Target, octoberTargets[res.Def.ID], cmpOpts) {
				t.Errorf("target = %v, want %v", res.Target, octoberTargets[res.Def.ID])
			}
			if len(res.Trend) != kpi.TrendLength {
				t.Fatalf("trend has %d points", len(res.Trend))
			}
			last := res.Trend[len(res.Trend)-1]
			if last.Period != r.Period || !cmp.Equal(last.Value, res.Value, cmpOpts) {
				t.Errorf("trend ends with %s = %v, want P = %v", last.Period, last.Value, res.Value)
			}
			if prev := res.Trend[len(res.Trend)-2]; !cmp.Equal(prev.Value, res.Previous, cmpOpts) {
				t.Errorf("trend point P−1 = %v, want %v", prev.Value, res.Previous)
			}
		})
	}
	t.Run("report", func(t *testing.T) {
		ams := amsterdam(t)
		if r.Period.Label() != "2026-10" || !r.Start.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, ams)) ||
			!r.End.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, ams)) || r.Location.String() != ams.String() || r.Has != all {
			t.Errorf("report header: %s [%s, %s) %v %+v", r.Period, r.Start, r.End, r.Location, r.Has)
		}
		if res, ok := r.KPI(kpi.IDMRR); !ok || res.Def.ID != kpi.IDMRR {
			t.Errorf("KPI(mrr) = %v, %v", res.Def.ID, ok)
		}
		if _, ok := r.KPI("nope"); ok {
			t.Error("KPI(nope) found")
		}
	})
}

func TestOctoberTrend(t *testing.T) {
	r := october.report(t, "2026-10", kpi.Options{})
	labels := []string{"2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
		"2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	const noPrevRevenue = "n/a:" + string(kpi.NoPreviousRevenue)
	tests := map[string][]string{
		// orders: March 500, August 300, September 360, October 400; none in other months
		kpi.IDRevenue: {"0", "0", "0", "0", "500", "0", "0", "0", "0", "300", "360", "400"},
		// November 2025 follows October 2025 (350): −1; April follows March: −1; a month
		// after a month without revenue is n/a
		kpi.IDSalesGrowth: {"-1", noPrevRevenue, noPrevRevenue, noPrevRevenue, noPrevRevenue, "-1",
			noPrevRevenue, noPrevRevenue, noPrevRevenue, noPrevRevenue, "1/5", "1/9"},
		// cohort on 1 November 2025: C1, C2, C6, C7, C9; C9 churns 15 March 2026 (1/5);
		// from April the cohort is C1, C2, C6, C7 (4); September: C7 lost (1/4);
		// October: C1, C2, C3, C6, of which C2 and C6 are lost (2/4)
		kpi.IDChurnRate: {"0", "0", "0", "0", "1/5", "0", "0", "0", "0", "0", "1/4", "1/2"},
	}
	for id, want := range tests {
		t.Run(id, func(t *testing.T) {
			res, _ := r.KPI(id)
			var gotLabels []string
			var got, exp []kpi.Value
			for i, p := range res.Trend {
				gotLabels = append(gotLabels, p.Period.Label())
				got = append(got, p.Value)
				exp = append(exp, val(want[i]))
			}
			if d := cmp.Diff(labels, gotLabels); d != "" {
				t.Errorf("trend periods (-want +got):\n%s", d)
			}
			if d := cmp.Diff(exp, got, cmpOpts); d != "" {
				t.Errorf("trend values (-want +got):\n%s", d)
			}
		})
	}
}

// TestStatus moves the target of a higher-is-better KPI (revenue 400) and of a
// lower-is-better one (cac 205) across met, near and missed.
func TestStatus(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		target string
		want   kpi.Status
	}{
		{"higher: equal", kpi.IDRevenue, "400", kpi.StatusMet},
		{"higher: above", kpi.IDRevenue, "399.99", kpi.StatusMet},
		{"higher: zero target", kpi.IDRevenue, "0", kpi.StatusMet},
		{"higher: negative target", kpi.IDRevenue, "-100", kpi.StatusMet},
		{"higher: just below", kpi.IDRevenue, "400.01", kpi.StatusNear},
		{"higher: exactly 10 % below", kpi.IDRevenue, "4000/9", kpi.StatusNear}, // 444.4…: gap 44.4… = 10 %
		{"higher: more than 10 % below", kpi.IDRevenue, "444.45", kpi.StatusMissed},
		{"higher: far below", kpi.IDRevenue, "1000", kpi.StatusMissed},
		{"lower: equal", kpi.IDCAC, "205", kpi.StatusMet},
		{"lower: below", kpi.IDCAC, "210", kpi.StatusMet},
		{"lower: just above", kpi.IDCAC, "204.99", kpi.StatusNear},
		{"lower: exactly 10 % above", kpi.IDCAC, "2050/11", kpi.StatusNear}, // 186.36…: gap 18.636… = 10 %
		{"lower: more than 10 % above", kpi.IDCAC, "186.36", kpi.StatusMissed},
		{"lower: zero target", kpi.IDCAC, "0", kpi.StatusMissed},
		{"lower: negative target", kpi.IDCAC, "-10", kpi.StatusMissed},
		{"lower ratio: equal", kpi.IDChurnRate, "0.5", kpi.StatusMet},
		{"no target", kpi.IDRevenue, "", kpi.StatusNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := kpi.Options{}
			if tt.target != "" {
				opt.Targets = map[string]*big.Rat{tt.id: rat(tt.target)}
			}
			res, _ := october.report(t, "2026-10", opt).KPI(tt.id)
			if res.Status != tt.want {
				t.Errorf("value %s, target %s: status %s, want %s", res.Value.V.RatString(), tt.target, res.Status, tt.want)
			}
		})
	}
	t.Run("n/a value with a target", func(t *testing.T) {
		ds := october
		ds.has.Calls = false
		res, _ := ds.report(t, "2026-10", kpi.Options{Targets: octoberTargets}).KPI(kpi.IDSalesCalls)
		if res.Status != kpi.StatusNone {
			t.Errorf("status = %s, want none", res.Status)
		}
		na := kpi.NA(kpi.NoCallsData)
		got := []kpi.Value{res.Value, res.Previous, res.Change, res.ChangeRel, res.YearAgo}
		if d := cmp.Diff([]kpi.Value{na, na, na, na, na}, got, cmpOpts); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

// TestNotAvailable covers every n/a case of the spec's table for a report on October
// 2026, each on a data set that is just big enough.
func TestNotAvailable(t *testing.T) {
	none := kpi.Availability{}
	except := func(f func(*kpi.Availability)) kpi.Availability {
		h := all
		f(&h)
		return h
	}
	// clvData: TTM(2026-10) = [2025-11-01, 2026-11-01) has revenue 100 + 50 − 20 + 70 =
	// 200, sales_count 3, buyers CA, CB = 2, so customer_value = 200/3 × 3/2 = 100.
	clvOrders := []orderRow{
		{"CA", "2026-10-05", "100", "0", false, 0},
		{"CA", "2026-06-01", "50", "0", false, 0},
		{"CA", "2026-03-01", "-20", "0", false, 0},
		{"CB", "2026-02-01", "70", "0", false, 0},
		{"CB", "2025-10-31", "1000", "0", false, 0}, // the day before the TTM
	}
	loyal := []customerRow{{"CA", "2025-01-01", ""}, {"CB", "2025-01-01", ""}}
	// CB churns inside the TTM: churn_rate(W) = 1/2, lifespan 2 years
	oneLost := []customerRow{{"CA", "2025-01-01", ""}, {"CB", "2025-01-01", "2026-05-01"}}

	tests := []struct {
		name string
		ds   dataset
		opt  kpi.Options
		want map[string]string
	}{
		{
			name: "no data and no optional tables",
			ds:   dataset{has: none},
			want: map[string]string{
				kpi.IDRevenue:            "0", // never n/a
				kpi.IDCAC:                "n/a:no_spend_data",
				kpi.IDCLV:                "n/a:no_sales_in_ttm",
				kpi.IDAvgSalesCycleDays:  "n/a:no_deals_data",
				kpi.IDSalesGrowth:        "n/a:previous_revenue_not_positive",
				kpi.IDAOV:                "n/a:no_sales",
				kpi.IDARPC:               "n/a:no_buyers",
				kpi.IDPipelineVelocity:   "n/a:no_deals_data",
				kpi.IDChurnRate:          "n/a:no_customers_at_start",
				kpi.IDRetentionRate:      "n/a:no_customers_at_start",
				kpi.IDMRR:                "0", // never n/a
				kpi.IDProfitMargin:       "n/a:no_cost_column",
				kpi.IDLeadConversionRate: "n/a:no_leads_data",
				kpi.IDBookings:           "n/a:no_deals_data",
				kpi.IDUpsellCrossSell:    "0", // never n/a
				kpi.IDQualifiedLeads:     "n/a:no_leads_data",
				kpi.IDSalesCalls:         "n/a:no_calls_data",
				kpi.IDSales:              "0", // never n/a
			},
		},
		{
			name: "empty optional tables",
			ds:   dataset{has: all},
			want: map[string]string{
				kpi.IDRevenue:            "0",
				kpi.IDCAC:                "n/a:no_new_customers",
				kpi.IDCLV:                "n/a:no_sales_in_ttm",
				kpi.IDAvgSalesCycleDays:  "n/a:no_won_deals",
				kpi.IDSalesGrowth:        "n/a:previous_revenue_not_positive",
				kpi.IDAOV:                "n/a:no_sales",
				kpi.IDARPC:               "n/a:no_buyers",
				kpi.IDPipelineVelocity:   "n/a:no_won_deals",
				kpi.IDChurnRate:          "n/a:no_customers_at_start",
				kpi.IDRetentionRate:      "n/a:no_customers_at_start",
				kpi.IDMRR:                "0",
				kpi.IDProfitMargin:       "n/a:revenue_not_positive",
				kpi.IDLeadConversionRate: "n/a:no_leads_created",
				kpi.IDBookings:           "0",
				kpi.IDUpsellCrossSell:    "0",
				kpi.IDQualifiedLeads:     "0",
				kpi.IDSalesCalls:         "0",
				kpi.IDSales:              "0",
			},
		},
		{
			name: "new_customers = 0",
			ds: dataset{has: all,
				customers: []customerRow{{"C1", "2026-01-01", ""}},
				spend:     []spendRow{{"2026-10-05", "100"}},
			},
			// the one customer is the cohort: churn 0/1, retention 1/1
			want: map[string]string{kpi.IDCAC: "n/a:no_new_customers", kpi.IDChurnRate: "0", kpi.IDRetentionRate: "1"},
		},
		{
			name: "no spend table",
			ds: dataset{has: except(func(h *kpi.Availability) { h.Spend = false }),
				customers: []customerRow{{"C1", "2026-10-05", ""}},
			},
			want: map[string]string{kpi.IDCAC: "n/a:no_spend_data"},
		},
		{
			name: "spend and new customers",
			ds: dataset{has: all,
				customers: []customerRow{{"C1", "2026-10-05", ""}, {"C2", "2026-10-31T22:30:00Z", ""}, {"C3", "2026-10-31T23:30:00Z", ""}},
				spend:     []spendRow{{"2026-10-05", "100"}, {"2026-09-30", "1000"}},
			},
			// C3 is acquired on 1 November local: 100 / 2
			want: map[string]string{kpi.IDCAC: "50"},
		},
		{
			name: "won_deals = 0",
			ds: dataset{has: all, deals: []dealRow{
				{"2026-09-01", "2026-10-10", kpi.DealLost, "100"},
				{"2026-09-01", "", kpi.DealOpen, "100"},
				{"2026-09-01", "2026-09-20", kpi.DealWon, "100"}, // won in September
			}},
			want: map[string]string{
				kpi.IDAvgSalesCycleDays: "n/a:no_won_deals",
				kpi.IDPipelineVelocity:  "n/a:no_won_deals",
				kpi.IDBookings:          "0",
			},
		},
		{
			name: "cycle_days = 0",
			ds: dataset{has: all, deals: []dealRow{
				{"2026-10-05T08:00:00", "2026-10-05T17:00:00", kpi.DealWon, "100"},
				{"2026-10-06T06:00:00Z", "2026-10-06T21:59:00Z", kpi.DealWon, "50"}, // both 6 October local
			}},
			want: map[string]string{
				kpi.IDAvgSalesCycleDays: "0",
				kpi.IDPipelineVelocity:  "n/a:zero_cycle_days",
				kpi.IDBookings:          "150",
			},
		},
		{
			name: "cycle_days counts local days",
			ds: dataset{has: all, deals: []dealRow{
				// created 30 September 23:30 UTC = 1 October local; closed 2 October: 1 day
				// in Amsterdam (2 days between the UTC dates)
				{"2026-09-30T23:30:00Z", "2026-10-02T12:00:00+02:00", kpi.DealWon, "100"},
			}},
			// 100 / 1
			want: map[string]string{kpi.IDAvgSalesCycleDays: "1", kpi.IDPipelineVelocity: "100"},
		},
		{
			name: "revenue(P−1) = 0",
			ds:   dataset{has: all, orders: []orderRow{{"C1", "2026-10-05", "100", "0", false, 0}}},
			want: map[string]string{kpi.IDSalesGrowth: "n/a:previous_revenue_not_positive", kpi.IDRevenue: "100"},
		},
		{
			name: "revenue(P−1) < 0",
			ds: dataset{has: all, orders: []orderRow{
				{"C1", "2026-10-05", "100", "0", false, 0},
				{"C1", "2026-09-05", "-10", "0", false, 0},
			}},
			want: map[string]string{kpi.IDSalesGrowth: "n/a:previous_revenue_not_positive"},
		},
		{
			name: "revenue(P−1) > 0 and revenue(P) < 0",
			ds: dataset{has: all, orders: []orderRow{
				{"C1", "2026-10-05", "-50", "0", false, 0},
				{"C1", "2026-09-05", "100", "0", false, 0},
			}},
			// (−50 − 100) / 100
			want: map[string]string{kpi.IDSalesGrowth: "-3/2"},
		},
		{
			name: "sales_count = 0 and buyers = 0",
			ds:   dataset{has: all, orders: []orderRow{{"C1", "2026-10-05", "-25", "-5", false, 0}}},
			want: map[string]string{
				kpi.IDRevenue:      "-25",
				kpi.IDSales:        "0",
				kpi.IDAOV:          "n/a:no_sales",
				kpi.IDARPC:         "n/a:no_buyers",
				kpi.IDProfitMargin: "n/a:revenue_not_positive",
			},
		},
		{
			name: "customers_start = 0",
			ds: dataset{has: all, customers: []customerRow{
				{"C1", "2026-10-01", ""}, {"C2", "2026-10-10", "2026-10-20"},
				{"C3", "2025-01-01", "2026-09-30"}, // gone before P
			}},
			want: map[string]string{
				kpi.IDChurnRate:     "n/a:no_customers_at_start",
				kpi.IDRetentionRate: "n/a:no_customers_at_start",
			},
		},
		{
			name: "whole cohort lost",
			ds: dataset{has: all, customers: []customerRow{
				{"C1", "2026-01-01", "2026-10-01"}, {"C2", "2026-09-30T21:59:59Z", "2026-10-31"},
			}},
			// churn 2/2, retention 0/2: 0, not n/a
			want: map[string]string{kpi.IDChurnRate: "1", kpi.IDRetentionRate: "0"},
		},
		{
			name: "no cost column",
			ds: dataset{has: except(func(h *kpi.Availability) { h.Cost = false }),
				orders: []orderRow{{"C1", "2026-10-05", "100", "", false, 0}}},
			want: map[string]string{kpi.IDProfitMargin: "n/a:no_cost_column"},
		},
		{
			name: "revenue = 0",
			ds: dataset{has: all, orders: []orderRow{
				{"C1", "2026-10-05", "50", "10", false, 0},
				{"C1", "2026-10-06", "-50", "0", false, 0},
			}},
			// aov and arpc are 0/1, defined
			want: map[string]string{kpi.IDProfitMargin: "n/a:revenue_not_positive", kpi.IDAOV: "0", kpi.IDARPC: "0", kpi.IDSales: "50"},
		},
		{
			name: "negative margin",
			ds:   dataset{has: all, orders: []orderRow{{"C1", "2026-10-05", "100", "150", false, 0}}},
			// (100 − 150) / 100
			want: map[string]string{kpi.IDProfitMargin: "-1/2"},
		},
		{
			name: "leads_created = 0",
			ds:   dataset{has: all, leads: []leadRow{{"2026-09-20", "2026-10-02", "2026-10-03"}}},
			want: map[string]string{kpi.IDLeadConversionRate: "n/a:no_leads_created", kpi.IDQualifiedLeads: "1"},
		},
		{
			name: "no leads data",
			ds:   dataset{has: except(func(h *kpi.Availability) { h.Leads = false })},
			want: map[string]string{kpi.IDLeadConversionRate: "n/a:no_leads_data", kpi.IDQualifiedLeads: "n/a:no_leads_data"},
		},
		{
			name: "no deals data",
			ds:   dataset{has: except(func(h *kpi.Availability) { h.Deals = false })},
			want: map[string]string{
				kpi.IDAvgSalesCycleDays: "n/a:no_deals_data",
				kpi.IDPipelineVelocity:  "n/a:no_deals_data",
				kpi.IDBookings:          "n/a:no_deals_data",
			},
		},
		{
			name: "no calls data",
			ds:   dataset{has: except(func(h *kpi.Availability) { h.Calls = false })},
			want: map[string]string{kpi.IDSalesCalls: "n/a:no_calls_data"},
		},
		{
			name: "CLV with no churn and no configured lifespan",
			ds:   dataset{has: all, orders: clvOrders, customers: loyal},
			want: map[string]string{kpi.IDCLV: "n/a:no_lifespan"},
		},
		{
			name: "CLV with no customers at the start of the TTM",
			// both acquired inside the TTM: no cohort to churn from
			ds:   dataset{has: all, orders: clvOrders, customers: []customerRow{{"CA", "2025-12-01", ""}, {"CB", "2026-01-01", "2026-05-01"}}},
			want: map[string]string{kpi.IDCLV: "n/a:no_customers_at_ttm_start"},
		},
		{
			name: "CLV with no churn and a configured lifespan",
			ds:   dataset{has: all, orders: clvOrders, customers: loyal},
			opt:  kpi.Options{CLVLifespanYears: rat("3")},
			// 100 × 3
			want: map[string]string{kpi.IDCLV: "300"},
		},
		{
			name: "CLV with churn",
			ds:   dataset{has: all, orders: clvOrders, customers: oneLost},
			// 100 × 1 / (1/2)
			want: map[string]string{kpi.IDCLV: "200"},
		},
		{
			name: "CLV with churn and a configured lifespan",
			ds:   dataset{has: all, orders: clvOrders, customers: oneLost},
			opt:  kpi.Options{CLVLifespanYears: rat("2.5")},
			// the configured lifespan wins: 100 × 2.5
			want: map[string]string{kpi.IDCLV: "250"},
		},
		{
			name: "CLV with a lifespan of 0 is not configured",
			ds:   dataset{has: all, orders: clvOrders, customers: oneLost},
			opt:  kpi.Options{CLVLifespanYears: rat("0")},
			want: map[string]string{kpi.IDCLV: "200"},
		},
		{
			name: "CLV without sales in the TTM",
			ds: dataset{has: all, customers: oneLost, orders: []orderRow{
				{"CA", "2026-10-05", "-10", "0", false, 0},
				{"CB", "2025-10-31", "1000", "0", false, 0}, // before the TTM
			}},
			opt:  kpi.Options{CLVLifespanYears: rat("3")},
			want: map[string]string{kpi.IDCLV: "n/a:no_sales_in_ttm"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ds.report(t, "2026-10", tt.opt)
			for id, w := range tt.want {
				res, ok := r.KPI(id)
				if !ok {
					t.Fatalf("no KPI %s", id)
				}
				if d := cmp.Diff(val(w), res.Value, cmpOpts); d != "" {
					t.Errorf("%s (-want +got):\n%s", id, d)
				}
				if !res.Value.OK() {
					if res.Value.Float64() != 0 || !slices.Contains(kpi.Reasons, res.Value.Reason) {
						t.Errorf("%s: reason %q is not one of kpi.Reasons", id, res.Value.Reason)
					}
					if res.Change.OK() || res.ChangeRel.OK() {
						t.Errorf("%s: n/a value has a change", id)
					}
				}
			}
		})
	}
}

// TestChangeNegativePrevious pins the relative change against a negative previous
// value: the spec only says "relative change when previous ≠ 0"; it is taken relative
// to |previous|, so that an improvement from a negative value is a positive change.
func TestChangeNegativePrevious(t *testing.T) {
	ds := dataset{has: all, orders: []orderRow{
		{"C1", "2026-09-05", "-10", "0", false, 0}, // revenue(P−1) = −10
		{"C1", "2026-10-05", "100", "0", false, 0}, // revenue(P) = 100
	}}
	res, _ := ds.report(t, "2026-10", kpi.Options{}).KPI(kpi.IDRevenue)
	// change 100 − (−10) = 110; relative 110 / |−10| = 11
	got := []kpi.Value{res.Value, res.Previous, res.Change, res.ChangeRel}
	if d := cmp.Diff([]kpi.Value{val("100"), val("-10"), val("110"), val("11")}, got, cmpOpts); d != "" {
		t.Errorf("[value previous change change_rel] (-want +got):\n%s", d)
	}
}

// TestMRRMonth checks the month whose recurring revenue is the MRR: the last calendar
// month that ends on or before P.end.
func TestMRRMonth(t *testing.T) {
	ds := dataset{has: all, orders: []orderRow{
		{"C1", "2026-05-15", "11", "0", true, 0},
		{"C1", "2026-05-20", "1000", "0", false, 0}, // not recurring
		{"C1", "2026-06-15", "22", "0", true, 0},
		{"C1", "2026-09-10", "33", "0", true, 0},
		{"C1", "2026-10-10", "44", "0", true, 0},
		{"C1", "2026-12-10", "55", "0", true, 0},
		{"C1", "2026-12-31T22:30:00Z", "1", "0", true, 0},    // 31 December 23:30 local
		{"C1", "2026-12-31T23:30:00Z", "1000", "0", true, 0}, // 1 January 2027 local
	}}
	tests := []struct {
		label string
		month string // the month M, by hand
		want  string
	}{
		{"2026-10", "2026-10", "44"},
		{"2026-09", "2026-09", "33"},
		{"2026-W22", "2026-05", "11"}, // 25–31 May, ends Monday 1 June: May ends on P.end
		{"2026-W23", "2026-05", "11"}, // 1–7 June, ends 8 June: June has not ended
		{"2026-W40", "2026-09", "33"}, // 28 September – 4 October, ends 5 October
		{"2026-W44", "2026-10", "44"}, // 26 October – 1 November, ends 2 November
		{"2026-W53", "2026-12", "56"}, // 28 December – 3 January, ends 4 January 2027
		{"2026-Q3", "2026-09", "33"},  // ends 1 October
		{"2026-Q4", "2026-12", "56"},  // ends 1 January 2027: 55 + 1
		{"2026-Q2", "2026-06", "22"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			r := ds.report(t, tt.label, kpi.Options{})
			res, _ := r.KPI(kpi.IDMRR)
			if d := cmp.Diff(val(tt.want), res.Value, cmpOpts); d != "" {
				t.Errorf("mrr of %s (month %s) (-want +got):\n%s", tt.label, tt.month, d)
			}
		})
	}
}

func TestWeekReport(t *testing.T) {
	ds := dataset{has: all, orders: []orderRow{
		{"C1", "2025-12-24", "77", "0", false, 0},           // 2025-W52: 22–28 December 2025
		{"C1", "2026-12-27", "20", "0", false, 0},           // 2026-W52: 21–27 December 2026
		{"C1", "2026-12-27T23:30:00Z", "5", "0", false, 0},  // 28 December 00:30 local: W53
		{"C1", "2027-01-03T22:30:00Z", "10", "0", false, 0}, // 3 January 23:30 local: W53
		{"C1", "2027-01-03T23:30:00Z", "99", "0", false, 0}, // 4 January local: 2027-W01
	}}
	t.Run("2026-W53", func(t *testing.T) {
		r := ds.report(t, "2026-W53", kpi.Options{})
		ams := amsterdam(t)
		if !r.Start.Equal(time.Date(2026, 12, 28, 0, 0, 0, 0, ams)) || !r.End.Equal(time.Date(2027, 1, 4, 0, 0, 0, 0, ams)) {
			t.Errorf("bounds [%s, %s)", r.Start, r.End)
		}
		res, _ := r.KPI(kpi.IDRevenue)
		// P = 5 + 10, P−1 = 2026-W52 = 20, P−1y = 2025-W52 (2025 has no week 53) = 77
		got := []kpi.Value{res.Value, res.Previous, res.YearAgo}
		if d := cmp.Diff([]kpi.Value{val("15"), val("20"), val("77")}, got, cmpOpts); d != "" {
			t.Errorf("revenue [P P−1 P−1y] (-want +got):\n%s", d)
		}
		if r.YearAgo.Revenue.String() != "77" {
			t.Errorf("year-ago measures: revenue %s", r.YearAgo.Revenue.String())
		}
	})
	t.Run("trend of 2027-W05", func(t *testing.T) {
		r := ds.report(t, "2027-W05", kpi.Options{})
		want := []string{"2026-W47", "2026-W48", "2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53",
			"2027-W01", "2027-W02", "2027-W03", "2027-W04", "2027-W05"}
		wantRevenue := []string{"0", "0", "0", "0", "0", "20", "15", "99", "0", "0", "0", "0"}
		for _, res := range r.KPIs {
			var got []string
			for _, p := range res.Trend {
				got = append(got, p.Period.Label())
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%s trend (-want +got):\n%s", res.Def.ID, d)
			}
			if res.Def.ID == kpi.IDRevenue {
				for i, p := range res.Trend {
					if d := cmp.Diff(val(wantRevenue[i]), p.Value, cmpOpts); d != "" {
						t.Errorf("revenue of %s (-want +got):\n%s", p.Period, d)
					}
				}
			}
		}
		if r.Period.YearAgo().Label() != "2026-W05" {
			t.Errorf("year ago of 2027-W05 = %s", r.Period.YearAgo())
		}
	})
	t.Run("quarter trend", func(t *testing.T) {
		r := ds.report(t, "2026-Q4", kpi.Options{})
		res, _ := r.KPI(kpi.IDRevenue)
		if first, last := res.Trend[0].Period.Label(), res.Trend[11].Period.Label(); first != "2024-Q1" || last != "2026-Q4" {
			t.Errorf("trend %s … %s, want 2024-Q1 … 2026-Q4", first, last)
		}
		// Q4 2026: 20 + 5 (28 December); 10 and 99 are in 2027
		if d := cmp.Diff(val("25"), res.Value, cmpOpts); d != "" {
			t.Errorf("revenue (-want +got):\n%s", d)
		}
	})
}

func TestMerge(t *testing.T) {
	plan := kpi.NewPlan(mustPeriod(t, "2026-10"))
	whole := kpi.NewAggregator(plan)
	october.feed(t, whole)

	first, second := october.halves()
	a, b := kpi.NewAggregator(plan), kpi.NewAggregator(plan)
	first.feed(t, a)
	second.feed(t, b)
	a.Merge(b)
	a.Merge(kpi.NewAggregator(plan)) // merging an empty aggregator changes nothing
	if a.Plan() != plan {
		t.Errorf("Plan() = %p, want %p", a.Plan(), plan)
	}
	want, got := whole.Data(), a.Data()
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("merged halves differ from the whole (-whole +merged):\n%s", d)
	}
	// Buyers are distinct over the merge: C1 buys in both halves of P.
	if n := got.Windows[plan.Period.Range()].Buyers; n != 3 {
		t.Errorf("buyers of P = %d, want 3", n)
	}
}

// TestReproducible regenerates October 2026 after more data arrived: rows dated on or
// after P.end, and customers, leads and deals whose later dates were filled in since.
func TestReproducible(t *testing.T) {
	before := october.report(t, "2026-10", kpi.Options{Targets: octoberTargets})

	later := october
	later.orders = append(slices.Clone(october.orders),
		orderRow{"C1", "2026-11-01", "1000", "1", true, kpi.KindUpsell},
		orderRow{"C9", "2026-10-31T23:00:00Z", "-70", "0", true, 0}, // 1 November local
		orderRow{"C10", "2027-03-01", "5", "1", false, kpi.KindNew},
	)
	later.customers = slices.Clone(october.customers)
	later.customers[0].churned = "2026-11-15"           // C1 churns after P
	later.customers[2].churned = "2026-10-31T23:30:00Z" // C3 churns on 1 November local
	later.customers = append(later.customers, customerRow{"C10", "2026-11-02", ""})
	later.leads = slices.Clone(october.leads)
	later.leads[2].converted = "2026-11-20" // converted after P.end
	later.leads = append(later.leads, leadRow{"2026-11-01", "2026-11-01", "2026-11-02"})
	later.deals = slices.Clone(october.deals)
	later.deals[3] = dealRow{"2026-10-05", "2026-11-10", kpi.DealWon, "300.00"} // the open deal is won in November
	later.spend = append(slices.Clone(october.spend), spendRow{"2026-11-01", "500"})
	later.calls = append(slices.Clone(october.calls), callRow{"2026-11-01T00:00:00+01:00", false})

	after := later.report(t, "2026-10", kpi.Options{Targets: octoberTargets})
	if d := cmp.Diff(before, after, cmpOpts); d != "" {
		t.Errorf("late data changed the report of 2026-10 (-before +after):\n%s", d)
	}
	// And the late data does count in the next period.
	nov := later.report(t, "2026-11", kpi.Options{})
	// revenue 1000 − 70 + 999 (the fixture's order of 1 November local); new C10;
	// lost C1 (15 November) and C3 (1 November local)
	if nov.Current.Revenue.String() != "1929" || nov.Current.NewCustomers != 1 || nov.Current.CustomersLost != 2 {
		t.Errorf("November: revenue %s, new %d, lost %d; want 1929, 1, 2",
			nov.Current.Revenue.String(), nov.Current.NewCustomers, nov.Current.CustomersLost)
	}
}

func TestPlan(t *testing.T) {
	for _, label := range []string{"2026-10", "2026-W43", "2026-W53", "2026-Q4", "2028-02"} {
		t.Run(label, func(t *testing.T) {
			p := mustPeriod(t, label)
			plan := kpi.NewPlan(p)
			if plan.Period != p || plan.Dimension != p.Range() {
				t.Errorf("plan of %s: %v, dimension %s", p, plan.Period, plan.Dimension)
			}
			for i, w := range plan.Windows {
				if w.End > p.End() {
					t.Errorf("window %s ends after P.end %s", w, p.End())
				}
				if w.Start >= w.End {
					t.Errorf("empty window %s", w)
				}
				if i > 0 {
					prev := plan.Windows[i-1]
					if prev == w || prev.Start > w.Start || prev.Start == w.Start && prev.End > w.End {
						t.Errorf("windows not unique and sorted: %s, %s", prev, w)
					}
				}
			}
			for _, need := range []period.Range{p.Range(), p.Prev().Range(), p.YearAgo().Range(),
				p.YearAgo().Prev().Range(), p.Add(-11).Range(), p.Add(-12).Range(), p.TTM(), p.YearAgo().TTM()} {
				if !slices.Contains(plan.Windows, need) {
					t.Errorf("plan lacks window %s", need)
				}
			}
		})
	}
	span := kpi.NewPlan(mustPeriod(t, "2026-10")).Span()
	// from TTM(2025-10) = [2024-11-01, 2025-11-01) to the end of October 2026
	if want := (period.Range{Start: period.FromYMD(2024, 11, 1), End: period.FromYMD(2026, 11, 1)}); span != want {
		t.Errorf("Span = %s, want %s", span, want)
	}
}

func TestComputeMissingWindow(t *testing.T) {
	plan, data := october.data(t, "2026-10")
	delete(data.Windows, plan.Period.TTM())
	if _, err := kpi.Compute(plan, data, kpi.Options{}, amsterdam(t)); !errors.Is(err, kpi.ErrMissingWindow) {
		t.Errorf("err = %v, want ErrMissingWindow", err)
	}
}

func TestDefs(t *testing.T) {
	// The 18 KPIs of the spec, in its order, with unit and direction.
	want := []struct {
		id     string
		unit   kpi.Unit
		better kpi.Better
	}{
		{"revenue", kpi.Money, kpi.HigherIsBetter},
		{"cac", kpi.Money, kpi.LowerIsBetter},
		{"clv", kpi.Money, kpi.HigherIsBetter},
		{"avg_sales_cycle_days", kpi.Days, kpi.LowerIsBetter},
		{"sales_growth", kpi.Ratio, kpi.HigherIsBetter},
		{"aov", kpi.Money, kpi.HigherIsBetter},
		{"arpc", kpi.Money, kpi.HigherIsBetter},
		{"pipeline_velocity", kpi.MoneyPerDay, kpi.HigherIsBetter},
		{"churn_rate", kpi.Ratio, kpi.LowerIsBetter},
		{"retention_rate", kpi.Ratio, kpi.HigherIsBetter},
		{"mrr", kpi.Money, kpi.HigherIsBetter},
		{"profit_margin", kpi.Ratio, kpi.HigherIsBetter},
		{"lead_conversion_rate", kpi.Ratio, kpi.HigherIsBetter},
		{"bookings", kpi.Money, kpi.HigherIsBetter},
		{"upsell_cross_sell_revenue", kpi.Money, kpi.HigherIsBetter},
		{"qualified_leads", kpi.Count, kpi.HigherIsBetter},
		{"sales_calls", kpi.Count, kpi.HigherIsBetter},
		{"sales", kpi.Money, kpi.HigherIsBetter},
	}
	if len(kpi.Defs) != len(want) {
		t.Fatalf("%d defs, want %d", len(kpi.Defs), len(want))
	}
	for i, w := range want {
		d := kpi.Defs[i]
		if d.ID != w.id || d.Unit != w.unit || d.Better != w.better || d.NameNL == "" || d.NameEN == "" {
			t.Errorf("Defs[%d] = %+v, want %+v", i, d, w)
		}
		if got, ok := kpi.Lookup(w.id); !ok || got != d {
			t.Errorf("Lookup(%s) = %+v, %v", w.id, got, ok)
		}
	}
}

func mustPeriod(t testing.TB, label string) period.Period {
	t.Helper()
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
