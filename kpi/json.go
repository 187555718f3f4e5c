package kpi

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"time"

	"github.com/kpireport/kpireport/money"
)

// MarshalJSON encodes the report as JSON does, with each n/a reason as its code
// ("no_spend_data"); `kpireport kpis --format json` uses JSON with the reason's text.
func (r *Report) MarshalJSON() ([]byte, error) { return r.JSON(nil) }

// JSON encodes the report in the documented JSON shape of `kpireport kpis --format
// json`. Money is a number with its exact decimal digits (rounded to 4 fraction digits
// where a quotient has more), ratios are fractions, n/a is null with a reason: the
// text reasonText gives it (from the text catalogue), its code when reasonText is nil.
func (r *Report) JSON(reasonText func(Reason) string) ([]byte, error) {
	type point struct {
		Period string          `json:"period"`
		Value  json.RawMessage `json:"value"`
	}
	type kpiJSON struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Unit     Unit            `json:"unit"`
		Value    json.RawMessage `json:"value"`
		Reason   string          `json:"reason,omitempty"`
		Previous json.RawMessage `json:"previous"`
		Change   json.RawMessage `json:"change"`
		YearAgo  json.RawMessage `json:"year_ago"`
		Target   json.RawMessage `json:"target"`
		Status   Status          `json:"status"`
		Trend    []point         `json:"trend"`
	}
	type periodJSON struct {
		Label string `json:"label"`
		Start string `json:"start"`
		End   string `json:"end"`
		// ToDate is the last day a "to date" report covers (Report.AsOf's day,
		// "2026-12-03"); absent for a complete period.
		ToDate string `json:"to_date,omitempty"`
	}
	out := struct {
		Job      string       `json:"job"`
		Period   periodJSON   `json:"period"`
		KPIs     []kpiJSON    `json:"kpis"`
		Measures measuresJSON `json:"measures"`
	}{
		Job:      r.Job,
		Period:   periodJSON{Label: r.Period.Label(), Start: r.Start.Format(time.RFC3339), End: r.End.Format(time.RFC3339)},
		Measures: r.Current.json(),
	}
	if r.Incomplete() {
		out.Period.ToDate = r.AsOf.In(r.Start.Location()).Format("2006-01-02")
	}
	for _, k := range r.KPIs {
		kj := kpiJSON{
			ID:       k.Def.ID,
			Name:     k.Def.Name(r.Lang),
			Unit:     k.Def.Unit,
			Value:    number(k.Value, k.Def.Unit),
			Previous: number(k.Previous, k.Def.Unit),
			Change:   number(k.Change, k.Def.Unit),
			YearAgo:  number(k.YearAgo, k.Def.Unit),
			Target:   json.RawMessage("null"),
			Status:   k.Status,
		}
		if !k.Value.OK() {
			kj.Reason = string(k.Value.Reason)
			if reasonText != nil {
				kj.Reason = reasonText(k.Value.Reason)
			}
		}
		if k.Target != nil {
			kj.Target = number(Exact(k.Target), k.Def.Unit)
		}
		for _, p := range k.Trend {
			kj.Trend = append(kj.Trend, point{Period: p.Period.Label(), Value: number(p.Value, k.Def.Unit)})
		}
		out.KPIs = append(out.KPIs, kj)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// number encodes v: money and counts as exact decimals (money rounded to 4 fraction
// digits), other units with up to 10 significant fraction digits; null when n/a.
func number(v Value, u Unit) json.RawMessage {
	if !v.OK() {
		return json.RawMessage("null")
	}
	switch u {
	case Money, Count:
		return json.RawMessage(money.FormatRat(v.V, money.Digits))
	default:
		return json.RawMessage(money.FormatRat(v.V, 10))
	}
}

type measuresJSON struct {
	Revenue          json.Number `json:"revenue"`
	GrossSales       json.Number `json:"gross_sales"`
	SalesCount       int64       `json:"sales_count"`
	Cost             json.Number `json:"cost"`
	Buyers           int64       `json:"buyers"`
	RecurringRevenue json.Number `json:"recurring_revenue"`
	ExpansionRevenue json.Number `json:"expansion_revenue"`
	NewCustomers     int64       `json:"new_customers"`
	CustomersStart   int64       `json:"customers_start"`
	CustomersLost    int64       `json:"customers_lost"`
	CustomersEnd     int64       `json:"customers_end"`
	Spend            json.Number `json:"spend"`
	WonDeals         int64       `json:"won_deals"`
	WonValue         json.Number `json:"won_value"`
	CycleDays        int64       `json:"cycle_days"`
	LeadsCreated     int64       `json:"leads_created"`
	LeadsConverted   int64       `json:"leads_converted"`
	QualifiedLeads   int64       `json:"qualified_leads"`
	SalesCalls       int64       `json:"sales_calls"`
}

func (m Measures) json() measuresJSON {
	n := func(s money.Sum) json.Number { return json.Number(s.String()) }
	return measuresJSON{
		Revenue: n(m.Revenue), GrossSales: n(m.GrossSales), SalesCount: m.SalesCount, Cost: n(m.Cost),
		Buyers: m.Buyers, RecurringRevenue: n(m.RecurringRevenue), ExpansionRevenue: n(m.ExpansionRevenue),
		NewCustomers: m.NewCustomers, CustomersStart: m.CustomersStart, CustomersLost: m.CustomersLost,
		CustomersEnd: m.CustomersEnd, Spend: n(m.Spend), WonDeals: m.WonDeals, WonValue: n(m.WonValue),
		CycleDays: m.CycleDays, LeadsCreated: m.LeadsCreated, LeadsConverted: m.LeadsConverted,
		QualifiedLeads: m.QualifiedLeads, SalesCalls: m.SalesCalls,
	}
}

// ParseTarget converts a target read from TOML (a float64) to the exact decimal the
// user wrote, by its shortest representation: 0.1 is 1/10, not 0.1000000000000000055….
func ParseTarget(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return r
}
