// Package kpi is the domain of kpireport: the base measures of a period, the KPI set of
// the seed document with its exact definitions, comparisons, trends and targets, and the
// report model that renderers and mails are built from. It does no I/O.
package kpi

// Unit is what a KPI value measures; it decides formatting and number formats.
type Unit string

// The units of the KPI set.
const (
	Money       Unit = "money"
	Ratio       Unit = "ratio"
	Days        Unit = "days"
	Count       Unit = "count"
	MoneyPerDay Unit = "money_per_day"
)

// Better tells which direction of change is good news.
type Better int

// The directions.
const (
	HigherIsBetter Better = iota + 1
	LowerIsBetter
)

// String returns "higher" or "lower".
func (b Better) String() string {
	if b == LowerIsBetter {
		return "lower"
	}
	return "higher"
}

// Def is the definition of one KPI: its stable id, names, unit and direction.
type Def struct {
	ID     string // stable key in JSON, config [targets] and templates
	NameNL string // the seed's Dutch name, verbatim
	NameEN string // the spec's English name
	Unit   Unit
	Better Better
}

// Name returns the KPI's name in lang ("nl" or "en").
func (d Def) Name(lang string) string {
	if lang == "nl" {
		return d.NameNL
	}
	return d.NameEN
}

// The KPI ids, in the order of the spec.
const (
	IDRevenue            = "revenue"
	IDCAC                = "cac"
	IDCLV                = "clv"
	IDAvgSalesCycleDays  = "avg_sales_cycle_days"
	IDSalesGrowth        = "sales_growth"
	IDAOV                = "aov"
	IDARPC               = "arpc"
	IDPipelineVelocity   = "pipeline_velocity"
	IDChurnRate          = "churn_rate"
	IDRetentionRate      = "retention_rate"
	IDMRR                = "mrr"
	IDProfitMargin       = "profit_margin"
	IDLeadConversionRate = "lead_conversion_rate"
	IDBookings           = "bookings"
	IDUpsellCrossSell    = "upsell_cross_sell_revenue"
	IDQualifiedLeads     = "qualified_leads"
	IDSalesCalls         = "sales_calls"
	IDSales              = "sales"
)

// Defs is the KPI set, in the order of the spec.
var Defs = []Def{
	{IDRevenue, "Verkoopopbrengst", "Sales revenue", Money, HigherIsBetter},
	{IDCAC, "Klantverwervingskosten (CAC)", "Customer acquisition cost", Money, LowerIsBetter},
	{IDCLV, "Klantlevensduurwaarde (CLV)", "Customer lifetime value", Money, HigherIsBetter},
	{IDAvgSalesCycleDays, "Gemiddelde duur van verkoopcyclus", "Average sales cycle length", Days, LowerIsBetter},
	{IDSalesGrowth, "Maandelijkse verkoopgroei", "Sales growth", Ratio, HigherIsBetter},
	{IDAOV, "Gemiddelde bestelwaarde", "Average order value", Money, HigherIsBetter},
	{IDARPC, "Gemiddelde opbrengst per klant", "Average revenue per customer", Money, HigherIsBetter},
	{IDPipelineVelocity, "Verkooppijplijn snelheid", "Pipeline velocity", MoneyPerDay, HigherIsBetter},
	{IDChurnRate, "Klantverlooppercentage", "Customer churn rate", Ratio, LowerIsBetter},
	{IDRetentionRate, "Klantbehoudspercentage", "Customer retention rate", Ratio, HigherIsBetter},
	{IDMRR, "Maandelijkse terugkerende opbrengst (MRR)", "Monthly recurring revenue", Money, HigherIsBetter},
	{IDProfitMargin, "Gemiddelde winstmarge", "Profit margin", Ratio, HigherIsBetter},
	{IDLeadConversionRate, "Leads conversiepercentage", "Lead conversion rate", Ratio, HigherIsBetter},
	{IDBookings, "Maandelijkse verkoopboekingen", "Bookings", Money, HigherIsBetter},
	{IDUpsellCrossSell, "Upsell- en cross-sell-opbrengst", "Upsell and cross-sell revenue", Money, HigherIsBetter},
	{IDQualifiedLeads, "Gekwalificeerde leads", "Qualified leads", Count, HigherIsBetter},
	{IDSalesCalls, "Verkoopgesprekken", "Sales calls", Count, HigherIsBetter},
	{IDSales, "Maandelijkse verkopen", "Sales (gross)", Money, HigherIsBetter},
}

// Lookup returns the definition of the KPI id.
func Lookup(id string) (Def, bool) {
	for _, d := range Defs {
		if d.ID == id {
			return d, true
		}
	}
	return Def{}, false
}
