package kpi

import (
	"fmt"
	"math/big"
	"time"

	"github.com/kpireport/kpireport/period"
)

// Options are the settings of a computation that come from the config.
type Options struct {
	Targets          map[string]*big.Rat // KPI id → target; ratios as fractions
	CLVLifespanYears *big.Rat            // nil or > 0: overrides 1 / churn_rate(TTM)
}

// Compute turns the data of plan into a report: every KPI of Defs with its previous,
// year-ago and trend values, change and target status. Company, job, language and
// generation time are the caller's to fill in.
func Compute(plan *Plan, data *Data, opt Options, loc *time.Location) (*Report, error) {
	for _, w := range plan.Windows {
		if data.Windows[w] == nil {
			return nil, fmt.Errorf("%w: %s", ErrMissingWindow, w)
		}
	}
	c := &computer{data: data, opt: opt}
	p := plan.Period
	start, end := p.Bounds(loc)
	rep := &Report{
		Warnings: data.Warnings,
		Location: loc,
		Period:   p,
		Start:    start,
		End:      end,
		Current:  *c.m(p.Range()),
		Previous: *c.m(p.Prev().Range()),
		YearAgo:  *c.m(p.YearAgo().Range()),
		ByRep:    data.ByRep,
		ByRegion: data.ByRegion,
		Has:      data.Has,
	}
	values := make(map[period.Period]map[string]Value)
	for _, e := range evaluated(p) {
		values[e] = c.kpis(e)
	}
	before := c.beforeData(p)
	if before > 0 {
		first := p.Add(before - (TrendLength - 1))
		rep.DataStart = &first
	}
	// The previous and year-ago periods before the data starts are n/a like such
	// trend periods, unless the report's own period has no data either.
	prevBefore, yearAgoBefore := false, false
	if !c.isBeforeData(p) {
		prevBefore, yearAgoBefore = c.isBeforeData(p.Prev()), c.isBeforeData(p.YearAgo())
	}
	for _, def := range Defs {
		r := Result{
			Def:      def,
			Value:    values[p][def.ID],
			Previous: values[p.Prev()][def.ID],
			YearAgo:  values[p.YearAgo()][def.ID],
			Target:   opt.Targets[def.ID],
		}
		if prevBefore {
			r.Previous = NA(BeforeData)
		}
		if yearAgoBefore {
			r.YearAgo = NA(BeforeData)
		}
		r.Change, r.ChangeRel = change(r.Value, r.Previous)
		r.Status = status(def, r.Value, r.Target)
		for i := TrendLength - 1; i >= 0; i-- {
			e := p.Add(-i)
			v := values[e][def.ID]
			if TrendLength-1-i < before {
				v = NA(BeforeData)
			}
			r.Trend = append(r.Trend, Point{Period: e, Value: v})
		}
		rep.KPIs = append(rep.KPIs, r)
	}
	return rep, nil
}

// beforeData returns how many periods at the start of the trend of p come before the
// data starts: no window of the plan that ends with or before such a period (the
// period itself, the trailing twelve months up to it, ...) has any data (an order, a
// customer, a lead, a won deal, spend or a call). Their values are n/a
// (BeforeData), drawn as gaps, not as zeros. It returns 0 when p itself has no such
// data either (an empty report says so itself).
func (c *computer) beforeData(p period.Period) int {
	for k := 0; k < TrendLength; k++ {
		if !c.isBeforeData(p.Add(k - (TrendLength - 1))) {
			return k
		}
	}
	return 0
}

// isBeforeData reports whether e comes before the data starts: no window of the plan
// that ends with or before e (e itself, the trailing twelve months up to it, ...) has
// any data. It is the test beforeData applies to each trend period.
func (c *computer) isBeforeData(e period.Period) bool {
	end := e.Range().End
	for w, m := range c.data.Windows {
		if w.End <= end && hasData(m) {
			return false
		}
	}
	return true
}

// hasData reports whether m counts any row of any table.
func hasData(m *Measures) bool {
	if m == nil {
		return false
	}
	return m.SalesCount > 0 || m.Revenue.Sign() != 0 || m.Cost.Sign() != 0 || m.NewCustomers > 0 ||
		m.CustomersStart > 0 || m.CustomersEnd > 0 || m.Spend.Sign() != 0 || m.WonDeals > 0 ||
		m.LeadsCreated > 0 || m.QualifiedLeads > 0 || m.SalesCalls > 0
}

type computer struct {
	data *Data
	opt  Options
}

func (c *computer) m(w period.Range) *Measures { return c.data.Windows[w] }

// kpis computes every KPI of period e.
func (c *computer) kpis(e period.Period) map[string]Value {
	m := c.m(e.Range())
	prev := c.m(e.Prev().Range())
	has := c.data.Has
	v := make(map[string]Value, len(Defs))

	v[IDRevenue] = Exact(m.Revenue.Rat())
	switch {
	case !has.Spend:
		v[IDCAC] = NA(NoSpendData)
	case m.NewCustomers == 0:
		v[IDCAC] = NA(NoNewCustomers)
	default:
		v[IDCAC] = Exact(quo(m.Spend.Rat(), count(m.NewCustomers)))
	}
	v[IDCLV] = c.clv(e)
	switch {
	case !has.Deals:
		v[IDAvgSalesCycleDays] = NA(NoDealsData)
		v[IDPipelineVelocity] = NA(NoDealsData)
		v[IDBookings] = NA(NoDealsData)
	default:
		v[IDBookings] = Exact(m.WonValue.Rat())
		if m.WonDeals == 0 {
			v[IDAvgSalesCycleDays] = NA(NoWonDeals)
			v[IDPipelineVelocity] = NA(NoWonDeals)
			break
		}
		avg := big.NewRat(m.CycleDays, m.WonDeals)
		v[IDAvgSalesCycleDays] = Exact(avg)
		if m.CycleDays == 0 {
			v[IDPipelineVelocity] = NA(NoCycleDays)
		} else {
			v[IDPipelineVelocity] = Exact(quo(m.WonValue.Rat(), avg))
		}
	}
	if prevRev := prev.Revenue.Rat(); prevRev.Sign() <= 0 {
		v[IDSalesGrowth] = NA(NoPreviousRevenue)
	} else {
		v[IDSalesGrowth] = Exact(quo(new(big.Rat).Sub(m.Revenue.Rat(), prevRev), prevRev))
	}
	if m.SalesCount == 0 {
		v[IDAOV] = NA(NoSales)
	} else {
		v[IDAOV] = Exact(quo(m.Revenue.Rat(), count(m.SalesCount)))
	}
	if m.Buyers == 0 {
		v[IDARPC] = NA(NoBuyers)
	} else {
		v[IDARPC] = Exact(quo(m.Revenue.Rat(), count(m.Buyers)))
	}
	if m.CustomersStart == 0 {
		v[IDChurnRate] = NA(NoStartCustomers)
		v[IDRetentionRate] = NA(NoStartCustomers)
	} else {
		v[IDChurnRate] = Exact(big.NewRat(m.CustomersLost, m.CustomersStart))
		v[IDRetentionRate] = Exact(big.NewRat(m.CustomersStart-m.CustomersLost, m.CustomersStart))
	}
	v[IDMRR] = Exact(c.m(mrrMonth(e).Range()).RecurringRevenue.Rat())
	switch rev := m.Revenue.Rat(); {
	case !has.Cost:
		v[IDProfitMargin] = NA(NoCostColumn)
	case rev.Sign() <= 0:
		v[IDProfitMargin] = NA(RevenueNotPositive)
	default:
		v[IDProfitMargin] = Exact(quo(new(big.Rat).Sub(rev, m.Cost.Rat()), rev))
	}
	switch {
	case !has.Leads:
		v[IDLeadConversionRate] = NA(NoLeadsData)
		v[IDQualifiedLeads] = NA(NoLeadsData)
	default:
		v[IDQualifiedLeads] = Exact(count(m.QualifiedLeads))
		if m.LeadsCreated == 0 {
			v[IDLeadConversionRate] = NA(NoLeadsCreated)
		} else {
			v[IDLeadConversionRate] = Exact(big.NewRat(m.LeadsConverted, m.LeadsCreated))
		}
	}
	v[IDUpsellCrossSell] = Exact(m.ExpansionRevenue.Rat())
	if !has.Calls {
		v[IDSalesCalls] = NA(NoCallsData)
	} else {
		v[IDSalesCalls] = Exact(count(m.SalesCalls))
	}
	v[IDSales] = Exact(m.GrossSales.Rat())
	return v
}

// clv is customer_value(W) × lifespan_years with W = TTM(e):
// customer_value = aov(W) × sales_count(W) / buyers(W), lifespan = the configured
// years or 1 / churn_rate(W).
func (c *computer) clv(e period.Period) Value {
	w := c.m(e.TTM())
	if w.SalesCount == 0 || w.Buyers == 0 {
		return NA(NoTTMSales)
	}
	aov := quo(w.Revenue.Rat(), count(w.SalesCount))
	value := new(big.Rat).Mul(aov, big.NewRat(w.SalesCount, w.Buyers))
	lifespan := c.opt.CLVLifespanYears
	if lifespan == nil || lifespan.Sign() <= 0 {
		switch {
		case w.CustomersStart == 0:
			return NA(NoTTMStartCustomers)
		case w.CustomersLost == 0:
			return NA(NoLifespan)
		}
		lifespan = big.NewRat(w.CustomersStart, w.CustomersLost) // 1 / churn_rate(W)
	}
	return Exact(value.Mul(value, lifespan))
}

// change returns value − previous and (value − previous) / |previous|.
func change(v, prev Value) (abs, rel Value) {
	if !v.OK() {
		return NA(v.Reason), NA(v.Reason)
	}
	if !prev.OK() {
		if prev.Reason == BeforeData {
			return NA(BeforeData), NA(BeforeData)
		}
		return NA(NoPrevious), NA(NoPrevious)
	}
	d := new(big.Rat).Sub(v.V, prev.V)
	if prev.V.Sign() == 0 {
		return Exact(d), NA(NoPrevious)
	}
	return Exact(d), Exact(quo(d, new(big.Rat).Abs(prev.V)))
}

// status compares v with target: met, near (within 10 % of |target|), missed or none.
func status(def Def, v Value, target *big.Rat) Status {
	if target == nil || !v.OK() {
		return StatusNone
	}
	cmp := v.V.Cmp(target)
	if cmp == 0 || (def.Better == HigherIsBetter && cmp > 0) || (def.Better == LowerIsBetter && cmp < 0) {
		return StatusMet
	}
	gap := new(big.Rat).Abs(new(big.Rat).Sub(v.V, target))
	tol := new(big.Rat).Mul(new(big.Rat).Abs(target), big.NewRat(1, 10))
	if gap.Cmp(tol) <= 0 {
		return StatusNear
	}
	return StatusMissed
}

func quo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }

func count(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }
