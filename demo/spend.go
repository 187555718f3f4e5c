package demo

import (
	"slices"
	"time"
)

// spendLine is one recurring cost: on day dom of each month (of the listed
// months only, when set), basisPoints of the month's planned revenue.
type spendLine struct {
	dom         int
	category    string
	channel     string
	basisPoints int64
	months      []time.Month
	// deseasoned lines follow the business trend, not the season.
	deseasoned bool
}

// spendLines are in day order, so the table is in date order.
var spendLines = []spendLine{
	{dom: 1, category: "marketing", channel: "tools", basisPoints: 40, deseasoned: true},
	{dom: 1, category: "sales", channel: "tools", basisPoints: 50, deseasoned: true},
	{dom: 7, category: "marketing", channel: "google", basisPoints: 75},
	{dom: 10, category: "marketing", channel: "events", basisPoints: 400, months: []time.Month{time.March, time.June, time.September, time.November}},
	{dom: 14, category: "marketing", channel: "google", basisPoints: 75},
	{dom: 15, category: "marketing", channel: "linkedin", basisPoints: 150},
	{dom: 21, category: "marketing", channel: "google", basisPoints: 75},
	{dom: 25, category: "sales", channel: "salaries", basisPoints: 600, deseasoned: true},
	{dom: 28, category: "marketing", channel: "google", basisPoints: 75},
}

// minSpendCents is the smallest spend row.
const minSpendCents = 10000

// spendTable writes the marketing and sales spend: several rows a month,
// sized by the month's planned revenue (the average order of the generated
// orders times the month's planned number of orders).
func (g *generator) spendTable(w tableWriter) (int, error) {
	r := g.rand(streamSpend)
	cal := g.cal
	var revenue int64
	for _, m := range g.months {
		revenue += m.revenue
	}
	avgOrder := int64(0)
	if g.opt.Orders > 0 {
		avgOrder = max(0, revenue/int64(g.opt.Orders))
	}
	rw := &g.row
	written := 0
	for _, m := range cal.months {
		planned := avgOrder * share(int64(g.opt.Orders), m.fullWeight, cal.totalWeight())
		for _, l := range spendLines {
			di := m.first + l.dom - 1
			if di >= m.end || (l.months != nil && !slices.Contains(l.months, m.month)) {
				continue
			}
			base := planned
			if l.deseasoned {
				base = base * 100 / seasonPct[m.month]
			}
			cents := max(minSpendCents, base*l.basisPoints/10000*int64(90+r.IntN(21))/100)

			written++
			rw.reset()
			rw.date(&cal.days[di])
			rw.text(l.category)
			rw.money(cents)
			rw.text(l.channel)
			if err := g.emit(w); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}
