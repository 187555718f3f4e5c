package kpi

import (
	"math"
	"slices"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// Measures are the base measures of one window of days, as the spec defines them.
type Measures struct {
	Revenue          money.Sum // Σ orders.amount (net of refunds)
	GrossSales       money.Sum // Σ orders.amount where amount > 0
	SalesCount       int64     // orders with amount > 0
	Cost             money.Sum // Σ orders.cost
	Buyers           int64     // distinct customer_id over orders with amount > 0
	RecurringRevenue money.Sum // Σ orders.amount where recurring
	ExpansionRevenue money.Sum // Σ orders.amount where kind is upsell or cross_sell
	NewCustomers     int64     // customers acquired in the window
	CustomersStart   int64     // customers active at the window's start
	CustomersLost    int64     // of CustomersStart, those churned in the window
	CustomersEnd     int64     // customers active at the window's end
	Spend            money.Sum // Σ spend.amount (marketing and sales)
	WonDeals         int64     // deals won (closed_date in the window)
	WonValue         money.Sum // Σ deals.value of those deals
	CycleDays        int64     // Σ (closed − created) in whole local days over those deals
	LeadsCreated     int64     // leads created in the window
	LeadsConverted   int64     // of those, converted before the window's end
	QualifiedLeads   int64     // leads qualified in the window
	SalesCalls       int64     // calls in the window that are not inbound
}

// AddEvents adds the measures of o that count or sum events (orders, spend, won deals,
// new customers, created and qualified leads, calls) to m: those of a window are the
// sums over the intervals it is made of. The others (buyers, customers at start, lost
// and at end, converted leads) depend on the whole window and are left alone.
func (m *Measures) AddEvents(o *Measures) {
	m.Revenue.AddSum(o.Revenue)
	m.GrossSales.AddSum(o.GrossSales)
	m.SalesCount += o.SalesCount
	m.Cost.AddSum(o.Cost)
	m.RecurringRevenue.AddSum(o.RecurringRevenue)
	m.ExpansionRevenue.AddSum(o.ExpansionRevenue)
	m.NewCustomers += o.NewCustomers
	m.Spend.AddSum(o.Spend)
	m.WonDeals += o.WonDeals
	m.WonValue.AddSum(o.WonValue)
	m.CycleDays += o.CycleDays
	m.LeadsCreated += o.LeadsCreated
	m.QualifiedLeads += o.QualifiedLeads
	m.SalesCalls += o.SalesCalls
}

// Availability tells which optional data a source has. A KPI that needs missing data
// is n/a with the reason "no <table> data".
type Availability struct {
	Cost  bool // orders have a cost column
	Leads bool
	Deals bool
	Spend bool
	Calls bool
}

// DimMeasures are the measures of one value of a dimension (a rep or a region) in the
// report's period.
type DimMeasures struct {
	Name           string // "" for rows without a value
	Revenue        money.Sum
	SalesCount     int64
	WonDeals       int64
	WonValue       money.Sum
	CycleDays      int64
	SalesCalls     int64
	QualifiedLeads int64
	LeadsCreated   int64
	LeadsConverted int64
}

// Plan lists the windows of days whose measures a report on Period needs: the period,
// its previous and year-ago periods, its 12-period trend, the period before each of
// those (for growth), their trailing twelve months (for CLV) and their MRR months.
// A source computes Measures for every window; nothing a plan asks for ends after
// Period's end, so a past period regenerated later gives the same numbers.
type Plan struct {
	Period    period.Period
	Windows   []period.Range // unique, sorted by start then end
	Dimension period.Range   // the window of the by-rep and by-region breakdowns
	// Today is the run's today in the report's zone (period.DateOf of the runner's
	// clock). Rows dated after it are in the future (a typo like 2062 for 2026): they
	// are not part of the watermark (Data.Latest) and are a WarnFutureRows warning.
	// 0 (unset, as in tests of the measures): no bound, every date counts.
	Today period.Date
}

// TrendLength is the number of periods in a trend, ending with the report's period.
const TrendLength = 12

// NewPlan returns the plan for a report on p.
func NewPlan(p period.Period) *Plan {
	var ws []period.Range
	for _, e := range evaluated(p) {
		ws = append(ws, e.Range(), e.Prev().Range(), e.TTM(), mrrMonth(e).Range())
	}
	slices.SortFunc(ws, func(a, b period.Range) int {
		if a.Start != b.Start {
			return int(a.Start - b.Start)
		}
		return int(a.End - b.End)
	})
	return &Plan{Period: p, Windows: slices.Compact(ws), Dimension: p.Range()}
}

// Span returns the smallest range that holds every window of the plan.
func (pl *Plan) Span() period.Range {
	r := pl.Windows[0]
	for _, w := range pl.Windows {
		r.Start = min(r.Start, w.Start)
		r.End = max(r.End, w.End)
	}
	return r
}

// evaluated returns the periods whose KPI values a report on p shows: the trend
// (p−11 … p, which holds p and p−1) and the year-ago period.
func evaluated(p period.Period) []period.Period {
	ps := make([]period.Period, 0, TrendLength+1)
	for i := TrendLength - 1; i >= 0; i-- {
		ps = append(ps, p.Add(-i))
	}
	ya := p.YearAgo()
	if !slices.Contains(ps, ya) {
		ps = append(ps, ya)
	}
	return ps
}

// mrrMonth returns the month whose recurring revenue is the MRR of e: the last calendar
// month that ends on or before e's end.
func mrrMonth(e period.Period) period.Period {
	return period.Of(period.Month, e.End()).Prev()
}

// Data is what a source computes for a plan.
type Data struct {
	Windows  map[period.Range]*Measures // one entry for every window of the plan
	Has      Availability
	ByRep    []DimMeasures // sorted by name
	ByRegion []DimMeasures // sorted by name
	// Latest is the watermark: the latest date of any row of any table (orders'
	// order_date, customers' acquired_date, leads' and deals' created_date,
	// spend_date, call_date), also of rows outside the plan; NoRows when every
	// table is empty.
	Latest   period.Date
	Warnings []Warning // problems of the data that do not stop a report
}

// NoRows is Data.Latest of tables without rows: it sorts before every date.
const NoRows period.Date = math.MinInt32
