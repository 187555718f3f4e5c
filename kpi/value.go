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

// Reason is why a value is n/a: a stable key with a text in each report language.
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
)

var reasonText = map[Reason][2]string{ // en, nl
	NoLeadsData:         {"no leads data", "geen leadsgegevens"},
	NoDealsData:         {"no deals data", "geen dealgegevens"},
	NoSpendData:         {"no spend data", "geen kostengegevens (spend)"},
	NoCallsData:         {"no calls data", "geen gespreksgegevens"},
	NoCostColumn:        {"the orders have no cost column", "de orders hebben geen kolom cost"},
	NoNewCustomers:      {"no new customers in the period", "geen nieuwe klanten in de periode"},
	NoWonDeals:          {"no deals won in the period", "geen gewonnen deals in de periode"},
	NoCycleDays:         {"the won deals took 0 days in total", "de gewonnen deals duurden samen 0 dagen"},
	NoPreviousRevenue:   {"revenue of the previous period is not positive", "opbrengst van de vorige periode is niet positief"},
	NoSales:             {"no sales in the period", "geen verkopen in de periode"},
	NoBuyers:            {"no buying customers in the period", "geen kopende klanten in de periode"},
	NoStartCustomers:    {"no customers at the start of the period", "geen klanten aan het begin van de periode"},
	RevenueNotPositive:  {"revenue is not positive", "opbrengst is niet positief"},
	NoLeadsCreated:      {"no leads created in the period", "geen leads aangemaakt in de periode"},
	NoTTMSales:          {"no sales in the trailing twelve months", "geen verkopen in de afgelopen twaalf maanden"},
	NoLifespan:          {"no churn in the trailing twelve months and no kpi.clv_lifespan_years configured", "geen klantverloop in de afgelopen twaalf maanden en geen kpi.clv_lifespan_years ingesteld"},
	NoTTMStartCustomers: {"no customers at the start of the trailing twelve months and no kpi.clv_lifespan_years configured", "geen klanten aan het begin van de afgelopen twaalf maanden en geen kpi.clv_lifespan_years ingesteld"},
	NoPrevious:          {"no value for the previous period", "geen waarde voor de vorige periode"},
}

// Text returns the reason in lang ("en" or "nl").
func (r Reason) Text(lang string) string {
	t, ok := reasonText[r]
	if !ok {
		return string(r)
	}
	if lang == "nl" {
		return t[1]
	}
	return t[0]
}
