package kpi_test

import (
	"math/big"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Europe/Amsterdam on any machine

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// The rows of a test data set, as text the way a CSV source holds them: dates and
// timestamps are turned into local days of Europe/Amsterdam by period.DayParser and
// amounts into money.Amount by money.ParseString, then fed to the Aggregator.

type orderRow struct {
	customer, date, amount, cost string
	recurring                    bool
	kind                         kpi.OrderKind
}

type customerRow struct{ id, acquired, churned string }

type leadRow struct{ created, qualified, converted string }

type dealRow struct {
	created, closed string
	status          kpi.DealStatus
	value           string
}

type spendRow struct{ date, amount string }

type callRow struct {
	date    string
	inbound bool
}

type dataset struct {
	has       kpi.Availability
	orders    []orderRow
	customers []customerRow
	leads     []leadRow
	deals     []dealRow
	spend     []spendRow
	calls     []callRow
}

var all = kpi.Availability{Cost: true, Leads: true, Deals: true, Spend: true, Calls: true}

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// feed streams the rows of ds into a.
func (ds dataset) feed(t testing.TB, a *kpi.Aggregator) {
	t.Helper()
	days := period.NewDayParser(amsterdam(t))
	date := func(s string) period.Date {
		t.Helper()
		if s == "" {
			return period.NoDate
		}
		d, err := days.ParseString(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	amount := func(s string) money.Amount {
		t.Helper()
		if s == "" {
			return 0
		}
		m, err := money.ParseString(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a.SetAvailable(ds.has)
	for _, r := range ds.orders {
		a.AddOrder(&kpi.Order{
			CustomerID: []byte(r.customer), Day: date(r.date), Amount: amount(r.amount),
			Cost: amount(r.cost), Recurring: r.recurring, Kind: r.kind,
		})
	}
	for _, r := range ds.customers {
		a.AddCustomer(&kpi.Customer{ID: []byte(r.id), Acquired: date(r.acquired), Churned: date(r.churned)})
	}
	for _, r := range ds.leads {
		a.AddLead(&kpi.Lead{Created: date(r.created), Qualified: date(r.qualified), Converted: date(r.converted)})
	}
	for _, r := range ds.deals {
		a.AddDeal(&kpi.Deal{Created: date(r.created), Closed: date(r.closed), Status: r.status, Value: amount(r.value)})
	}
	for _, r := range ds.spend {
		a.AddSpend(&kpi.Spend{Day: date(r.date), Amount: amount(r.amount)})
	}
	for _, r := range ds.calls {
		a.AddCall(&kpi.Call{Day: date(r.date), Inbound: r.inbound})
	}
}

// halves splits ds into two data sets of alternating rows.
func (ds dataset) halves() (dataset, dataset) {
	a, b := dataset{has: ds.has}, dataset{has: ds.has}
	a.orders, b.orders = split(ds.orders)
	a.customers, b.customers = split(ds.customers)
	a.leads, b.leads = split(ds.leads)
	a.deals, b.deals = split(ds.deals)
	a.spend, b.spend = split(ds.spend)
	a.calls, b.calls = split(ds.calls)
	return a, b
}

func split[T any](rows []T) (even, odd []T) {
	for i, r := range rows {
		if i%2 == 0 {
			even = append(even, r)
		} else {
			odd = append(odd, r)
		}
	}
	return even, odd
}

// data aggregates ds for a report on label.
func (ds dataset) data(t testing.TB, label string) (*kpi.Plan, *kpi.Data) {
	t.Helper()
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	plan := kpi.NewPlan(p)
	a := kpi.NewAggregator(plan)
	ds.feed(t, a)
	return plan, a.Data()
}

// report computes the report on label from ds.
func (ds dataset) report(t testing.TB, label string, opt kpi.Options) *kpi.Report {
	t.Helper()
	plan, data := ds.data(t, label)
	r, err := kpi.Compute(plan, data, opt, amsterdam(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rat parses "1/9", "30.5" or "-365".
func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rat " + s)
	}
	return r
}

// val is a defined value ("1/9") or, prefixed with "n/a:", n/a with that reason.
func val(s string) kpi.Value {
	if reason, ok := strings.CutPrefix(s, "n/a:"); ok {
		return kpi.NA(kpi.Reason(reason))
	}
	return kpi.Exact(rat(s))
}

// sum is an exact money.Sum of a decimal.
func sum(s string) money.Sum { return money.SumOf(money.MustParse(s)) }

// cmpOpts compares exact numbers by value.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b money.Sum) bool { return a.Int().Cmp(b.Int()) == 0 }),
	cmp.Comparer(func(a, b *big.Rat) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return a.Cmp(b) == 0
	}),
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

// october is the hand-computed fixture: a report on October 2026 (P) in
// Europe/Amsterdam, with P−1 = September 2026 and P−1y = October 2025.
// Amsterdam is on CEST (+02:00) until 25 October 2026 03:00 and on CET (+01:00) after,
// so 30 September 22:00Z is midnight of 1 October and 31 October 23:00Z is midnight of
// 1 November. Every number the tests expect is worked out in the comments here.
var october = dataset{
	has: all,
	customers: []customerRow{
		{"C1", "2024-12-15", ""},
		{"C2", "2025-06-01", "2026-10-15"},
		{"C3", "2026-09-10", ""},
		{"C4", "2026-09-30T23:30:00Z", ""}, // 1 October 01:30 CEST: acquired in P
		{"C5", "2025-10-10", "2025-10-25"},
		{"C6", "2025-03-01", "2026-10-01"},           // churned on P.start: in the cohort of P, lost in P
		{"C7", "2025-02-01", "2026-09-30T21:30:00Z"}, // 30 September 23:30 CEST: lost in P−1
		{"C8", "2026-10-05", "2026-10-20"},           // acquired and lost inside P
		{"C9", "2025-09-20", "2026-03-15"},
	},
	// customers of P = [2026-10-01, 2026-11-01):
	//   new_customers   C4 (1 Oct), C8 (5 Oct)                              = 2
	//   customers_start acquired < 1 Oct and not churned before 1 Oct:
	//                   C1, C2, C3, C6 (C6 churned on 1 Oct ≥ start)        = 4
	//   customers_lost  C2 (15 Oct), C6 (1 Oct)                             = 2
	//   customers_end   acquired < 1 Nov, not churned before 1 Nov: C1, C3, C4 = 3
	// P−1 = [2026-09-01, 2026-10-01): new C3 = 1; start C1, C2, C6, C7 = 4;
	//   lost C7 (30 Sep) = 1; end C1, C2, C3, C6 = 4
	// P−1y = [2025-10-01, 2025-11-01): new C5 = 1; start C1, C2, C6, C7, C9 = 5;
	//   lost 0 (C5 is lost in P−1y but was not in the cohort); end C1, C2, C6, C7, C9 = 5
	orders: []orderRow{
		// P
		{"C1", "2026-10-01", "100.00", "40.00", true, kpi.KindRepeat},
		{"C1", "2026-10-20T10:00:00+02:00", "50.00", "20.00", false, kpi.KindUpsell}, // same customer again
		{"C4", "2026-09-30T23:30:00Z", "200.00", "120.00", true, kpi.KindNew},        // 1 October local
		{"C2", "2026-10-10", "-30.00", "0.00", true, kpi.KindRepeat},                 // refund of a recurring order
		{"C2", "2026-10-12", "0.00", "0.00", false, kpi.KindNone},                    // a free order is not a sale
		{"C8", "2026-10-31 23:59", "80.00", "30.00", false, kpi.KindCrossSell},
		{"C3", "2026-10-31T23:30:00Z", "999.00", "1.00", true, kpi.KindRepeat}, // 1 November 00:30 CET: after P
		// P−1
		{"C1", "2026-09-05", "120.00", "50.00", true, kpi.KindRepeat},
		{"C3", "2026-09-10", "180.00", "90.00", false, kpi.KindNew},
		{"C2", "2026-09-30T21:59:59Z", "60.00", "60.00", true, kpi.KindUpsell}, // 30 September 23:59:59 CEST
		// P−2 = August 2026
		{"C1", "2026-08-15", "300.00", "100.00", true, kpi.KindRepeat},
		// March 2026, inside both TTM(P) and TTM(P−1); no kind
		{"C1", "2026-03-10", "500.00", "200.00", true, kpi.KindNone},
		// P−1y
		{"C5", "2025-10-12", "200.00", "100.00", false, kpi.KindNew},
		{"C9", "2025-10-20", "150.00", "50.00", true, kpi.KindRepeat},
		// P−1y−1 = September 2025
		{"C9", "2025-09-25", "100.00", "40.00", false, kpi.KindNew},
	},
	// P:    revenue 100 + 50 + 200 − 30 + 80 = 400; gross 100 + 50 + 200 + 80 = 430;
	//       sales_count 4; buyers C1, C4, C8 = 3 (C2 only has a refund and a 0 order);
	//       cost 40 + 20 + 120 + 0 + 30 = 210; recurring 100 + 200 − 30 = 270;
	//       expansion 50 (upsell) + 80 (cross_sell) = 130
	// P−1:  revenue 120 + 180 + 60 = 360 = gross; sales_count 3; buyers C1, C3, C2 = 3;
	//       cost 50 + 90 + 60 = 200; recurring 120 + 60 = 180; expansion 60
	// P−1y: revenue 200 + 150 = 350 = gross; sales_count 2; buyers C5, C9 = 2;
	//       cost 100 + 50 = 150; recurring 150; expansion 0
	// August 2026 revenue 300; September 2025 revenue 100.
	spend: []spendRow{
		{"2026-10-03", "300.00"},
		{"2026-10-15", "100.00"},
		{"2026-10-31T22:59:59Z", "10.00"},   // 31 October 23:59:59 CET: in P
		{"2026-10-31T23:00:00Z", "1000.00"}, // 1 November 00:00 CET: after P
		{"2026-09-12", "150.00"},
		{"2025-10-02", "90.00"},
	},
	// spend P = 300 + 100 + 10 = 410; P−1 = 150; P−1y = 90
	deals: []dealRow{
		{"2026-08-31T22:30:00Z", "2026-10-11", kpi.DealWon, "1000.00"}, // created 1 Sep local: 30 + 10 = 40 days
		{"2026-10-01", "2026-10-21T23:30:00Z", kpi.DealWon, "500.00"},  // closed 22 Oct 01:30 CEST: 21 days
		{"2026-10-02", "2026-10-20", kpi.DealLost, "700.00"},
		{"2026-10-05", "", kpi.DealOpen, "300.00"},
		{"2026-09-10", "2026-09-10T18:00:00+02:00", kpi.DealWon, "200.00"}, // same day: 0 days
		{"2025-09-01", "2025-10-01", kpi.DealWon, "600.00"},                // 30 days
		{"2026-10-25", "2026-11-02", kpi.DealWon, "5000.00"},               // closed after P
	},
	// P:    won_deals 2, won_value 1500, cycle_days 40 + 21 = 61
	// P−1:  won_deals 1, won_value 200, cycle_days 0
	// P−1y: won_deals 1, won_value 600, cycle_days 30
	leads: []leadRow{
		{"2026-10-02", "2026-10-05", "2026-10-20"},
		{"2026-10-10", "", "2026-11-03"},                     // converted after P.end: not converted for P
		{"2026-10-15", "2026-10-16", ""},                     //
		{"2026-10-30", "", "2026-10-31T23:30:00Z"},           // converted 1 November local: not for P
		{"2026-09-20", "2026-09-30T22:30:00Z", "2026-10-05"}, // qualified 1 Oct local (in P); created in P−1, converted after P−1.end
		{"2026-09-02", "2026-09-03", "2026-09-25"},
		{"2025-10-05", "2025-10-06", "2025-10-07"},
		{"2025-10-08", "", ""},
		{"2025-10-09", "", ""},
	},
	// P:    leads_created 4, leads_converted 1, qualified_leads 3 (5 Oct, 16 Oct, 1 Oct)
	// P−1:  leads_created 2, leads_converted 1 (25 Sep), qualified_leads 1
	// P−1y: leads_created 3, leads_converted 1, qualified_leads 1
	calls: []callRow{
		{"2026-10-01", false},
		{"2026-10-02", true}, // inbound: not a sales call
		{"2026-10-31", false},
		{"2026-10-31T23:30:00Z", false}, // 1 November local
		{"2026-09-15", false},
		{"2026-09-16", false},
		{"2026-09-30T21:00:00Z", false}, // 30 September 23:00 CEST
		{"2025-10-15", false},
		{"2025-10-16", true},
	},
	// sales_calls P = 2, P−1 = 3, P−1y = 1
}

// Base measures of the october fixture, from the comments above.
var (
	octoberP = kpi.Measures{
		Revenue: sum("400"), GrossSales: sum("430"), SalesCount: 4, Cost: sum("210"), Buyers: 3,
		RecurringRevenue: sum("270"), ExpansionRevenue: sum("130"),
		NewCustomers: 2, CustomersStart: 4, CustomersLost: 2, CustomersEnd: 3,
		Spend: sum("410"), WonDeals: 2, WonValue: sum("1500"), CycleDays: 61,
		LeadsCreated: 4, LeadsConverted: 1, QualifiedLeads: 3, SalesCalls: 2,
	}
	octoberPrev = kpi.Measures{
		Revenue: sum("360"), GrossSales: sum("360"), SalesCount: 3, Cost: sum("200"), Buyers: 3,
		RecurringRevenue: sum("180"), ExpansionRevenue: sum("60"),
		NewCustomers: 1, CustomersStart: 4, CustomersLost: 1, CustomersEnd: 4,
		Spend: sum("150"), WonDeals: 1, WonValue: sum("200"), CycleDays: 0,
		LeadsCreated: 2, LeadsConverted: 1, QualifiedLeads: 1, SalesCalls: 3,
	}
	octoberYearAgo = kpi.Measures{
		Revenue: sum("350"), GrossSales: sum("350"), SalesCount: 2, Cost: sum("150"), Buyers: 2,
		RecurringRevenue: sum("150"), ExpansionRevenue: sum("0"),
		NewCustomers: 1, CustomersStart: 5, CustomersLost: 0, CustomersEnd: 5,
		Spend: sum("90"), WonDeals: 1, WonValue: sum("600"), CycleDays: 30,
		LeadsCreated: 3, LeadsConverted: 1, QualifiedLeads: 1, SalesCalls: 1,
	}
)

// octoberTargets are the [targets] of the fixture; the status each gives is worked out
// in TestOctoberKPIs.
var octoberTargets = map[string]*big.Rat{
	kpi.IDRevenue:            rat("400"),
	kpi.IDCAC:                rat("210"),
	kpi.IDCLV:                rat("500"),
	kpi.IDAvgSalesCycleDays:  rat("30"),
	kpi.IDSalesGrowth:        rat("0.1"),
	kpi.IDAOV:                rat("120"),
	kpi.IDPipelineVelocity:   rat("50"),
	kpi.IDChurnRate:          rat("0.4"),
	kpi.IDRetentionRate:      rat("0.55"),
	kpi.IDMRR:                rat("250"),
	kpi.IDProfitMargin:       rat("0.5"),
	kpi.IDLeadConversionRate: rat("0.25"),
	kpi.IDBookings:           rat("1650"),
	kpi.IDUpsellCrossSell:    rat("100"),
	kpi.IDQualifiedLeads:     rat("4"),
	kpi.IDSalesCalls:         rat("3"),
}
