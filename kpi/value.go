package kpi

import (
	"math/big"
)

// Value is a KPI value: an exact number, or n/a with the reason why.
type Value struct {
	V      *big.Rat // nil when n/a
	Reason Reason   // why the value is n/a; "" when it is not
}

// NA returns an n/a value with its reason.
func NA(r Reason) Value { return Value{Reason: r} }

// Exact returns a defined value.
func Exact(r *big.Rat) Value { return Value{V: r} }

// OK reports whether v is defined.
func (v Value) OK() bool { return v.V != nil }

// Float64 returns v as the nearest float64 (for display and charts only); 0 when n/a.
func (v Value) Float64() float64 {
	if v.V == nil {
		return 0
	}
	f, _ := v.V.Float64()
	return f
}

// Reason is why a value is n/a: a stable code. Its text in each report language is in
// the text catalogue (templates/labels.toml), not in the domain.
type Reason string

// The reasons a KPI can be n/a.
const (
	NoLeadsData        Reason = "no_leads_data"
	NoDealsData        Reason = "no_deals_data"
	NoSpendData        Reason = "no_spend_data"
	NoCallsData        Reason = "no_calls_data"
	NoCostColumn       Reason = "no_cost_column"
	NoNewCustomers     Reason = "no_new_customers"
	NoWonDeals         Reason = "no_won_deals"
	NoCycleDays        Reason = "zero_cycle_days"
	NoPreviousRevenue  Reason = "previous_revenue_not_positive"
	NoSales            Reason = "no_sales"
	NoBuyers           Reason = "no_buyers"
	NoStartCustomers   Reason = "no_customers_at_start"
	RevenueNotPositive Reason = "revenue_not_positive"
	NoLeadsCreated     Reason = "no_leads_created"
	NoTTMSales         Reason = "no_sales_in_ttm"
	NoLifespan         Reason = "no_lifespan"
	// NoTTMStartCustomers: CLV has no churn rate because no customer was there at
	// the start of the trailing twelve months.
	NoTTMStartCustomers Reason = "no_customers_at_ttm_start"
	NoPrevious          Reason = "no_previous_value"
	// BeforeData: a trend, previous or year-ago period before the data starts (see
	// Compute); also the change against such a previous period.
	BeforeData Reason = "before_data_starts"
)

// Reasons lists every reason, for the text catalogue (templates/labels.toml has the
// text of each as the label "reason_" + its code) and its tests.
var Reasons = []Reason{
	NoLeadsData, NoDealsData, NoSpendData, NoCallsData, NoCostColumn, NoNewCustomers,
	NoWonDeals, NoCycleDays, NoPreviousRevenue, NoSales, NoBuyers, NoStartCustomers,
	RevenueNotPositive, NoLeadsCreated, NoTTMSales, NoLifespan, NoTTMStartCustomers,
	NoPrevious, BeforeData,
}
