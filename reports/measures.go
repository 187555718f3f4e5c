package reports

import (
	"math/big"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
)

// measure is one base measure of kpi.Measures as the workbook shows it.
type measure struct {
	key   string
	money bool                        // an amount; otherwise a count
	needs func(kpi.Availability) bool // the optional data it needs; nil = none
	sum   func(*kpi.Measures) money.Sum
	count func(*kpi.Measures) int64
}

// value returns the measure of m as an exact number.
func (ms measure) value(m *kpi.Measures) *big.Rat {
	if ms.money {
		return ms.sum(m).Rat()
	}
	return new(big.Rat).SetInt64(ms.count(m))
}

// available reports whether the source has the data of the measure.
func (ms measure) available(has kpi.Availability) bool { return ms.needs == nil || ms.needs(has) }

// missing returns the reason a measure is not available.
func (ms measure) missing() kpi.Reason {
	switch ms.key {
	case "cost":
		return kpi.NoCostColumn
	case "spend":
		return kpi.NoSpendData
	case "won_deals", "won_value", "cycle_days":
		return kpi.NoDealsData
	case "leads_created", "leads_converted", "qualified_leads":
		return kpi.NoLeadsData
	case "sales_calls":
		return kpi.NoCallsData
	}
	return ""
}

var (
	hasCost  = func(h kpi.Availability) bool { return h.Cost }
	hasSpend = func(h kpi.Availability) bool { return h.Spend }
	hasDeals = func(h kpi.Availability) bool { return h.Deals }
	hasLeads = func(h kpi.Availability) bool { return h.Leads }
	hasCalls = func(h kpi.Availability) bool { return h.Calls }
)

// measures are the base measures of the spec, in its order.
var measures = []measure{
	{key: "revenue", money: true, sum: func(m *kpi.Measures) money.Sum { return m.Revenue }},
	{key: "gross_sales", money: true, sum: func(m *kpi.Measures) money.Sum { return m.GrossSales }},
	{key: "sales_count", count: func(m *kpi.Measures) int64 { return m.SalesCount }},
	{key: "cost", money: true, needs: hasCost, sum: func(m *kpi.Measures) money.Sum { return m.Cost }},
	{key: "buyers", count: func(m *kpi.Measures) int64 { return m.Buyers }},
	{key: "recurring_revenue", money: true, sum: func(m *kpi.Measures) money.Sum { return m.RecurringRevenue }},
	{key: "expansion_revenue", money: true, sum: func(m *kpi.Measures) money.Sum { return m.ExpansionRevenue }},
	{key: "new_customers", count: func(m *kpi.Measures) int64 { return m.NewCustomers }},
	{key: "customers_start", count: func(m *kpi.Measures) int64 { return m.CustomersStart }},
	{key: "customers_lost", count: func(m *kpi.Measures) int64 { return m.CustomersLost }},
	{key: "customers_end", count: func(m *kpi.Measures) int64 { return m.CustomersEnd }},
	{key: "spend", money: true, needs: hasSpend, sum: func(m *kpi.Measures) money.Sum { return m.Spend }},
	{key: "won_deals", needs: hasDeals, count: func(m *kpi.Measures) int64 { return m.WonDeals }},
	{key: "won_value", money: true, needs: hasDeals, sum: func(m *kpi.Measures) money.Sum { return m.WonValue }},
	{key: "cycle_days", needs: hasDeals, count: func(m *kpi.Measures) int64 { return m.CycleDays }},
	{key: "leads_created", needs: hasLeads, count: func(m *kpi.Measures) int64 { return m.LeadsCreated }},
	{key: "leads_converted", needs: hasLeads, count: func(m *kpi.Measures) int64 { return m.LeadsConverted }},
	{key: "qualified_leads", needs: hasLeads, count: func(m *kpi.Measures) int64 { return m.QualifiedLeads }},
	{key: "sales_calls", needs: hasCalls, count: func(m *kpi.Measures) int64 { return m.SalesCalls }},
}

// measureIndex returns the index of the measure key in measures, or -1.
func measureIndex(key string) int {
	for i, m := range measures {
		if m.key == key {
			return i
		}
	}
	return -1
}
