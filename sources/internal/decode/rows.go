package decode

import (
	"fmt"
	"slices"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
)

// adders add a decoded row of each canonical table to the aggregator.
var adders = map[string]func(*Decoder){
	"orders":    addOrder,
	"customers": addCustomer,
	"leads":     addLead,
	"deals":     addDeal,
	"spend":     addSpend,
	"calls":     addCall,
}

// Canonical column indexes, by table.
var (
	oCustomer  = column("orders", "customer_id")
	oDate      = column("orders", "order_date")
	oAmount    = column("orders", "amount")
	oCost      = column("orders", "cost")
	oRecurring = column("orders", "recurring")
	oKind      = column("orders", "kind")
	oRep       = column("orders", "rep")
	oRegion    = column("orders", "region")

	cID       = column("customers", "customer_id")
	cAcquired = column("customers", "acquired_date")
	cChurned  = column("customers", "churned_date")
	cRegion   = column("customers", "region")

	lCreated   = column("leads", "created_date")
	lQualified = column("leads", "qualified_date")
	lConverted = column("leads", "converted_date")
	lRep       = column("leads", "rep")

	dCreated  = column("deals", "created_date")
	dClosed   = column("deals", "closed_date")
	dStatus   = column("deals", "status")
	dValue    = column("deals", "value")
	dRep      = column("deals", "rep")
	dCustomer = column("deals", "customer_id")

	sDate      = column("spend", "spend_date")
	sAmount    = column("spend", "amount")
	kDate      = column("calls", "call_date")
	kDirection = column("calls", "direction")
	kRep       = column("calls", "rep")

	orderKinds = enum("orders", "kind", map[string]kpi.OrderKind{
		"new": kpi.KindNew, "repeat": kpi.KindRepeat, "upsell": kpi.KindUpsell, "cross_sell": kpi.KindCrossSell,
	})
	dealStatuses = enum("deals", "status", map[string]kpi.DealStatus{
		"open": kpi.DealOpen, "won": kpi.DealWon, "lost": kpi.DealLost,
	})
	inbound = enum("calls", "direction", map[string]bool{"inbound": true, "outbound": false})
)

func addOrder(d *Decoder) {
	v, o := d.vals, &d.order
	o.CustomerID = v[oCustomer].text
	o.Day = v[oDate].day
	o.Amount = v[oAmount].amount
	o.Cost = v[oCost].amount
	o.Recurring = v[oRecurring].flag
	o.Kind = orderKinds[v[oKind].enum]
	o.Rep = v[oRep].text
	o.Region = v[oRegion].text
	d.agg.AddOrder(o)
}

func addCustomer(d *Decoder) {
	v, c := d.vals, &d.customer
	c.ID = v[cID].text
	c.Acquired = v[cAcquired].day
	c.Churned = v[cChurned].day
	c.Region = v[cRegion].text
	d.agg.AddCustomer(c)
}

func addLead(d *Decoder) {
	v, l := d.vals, &d.lead
	l.Created = v[lCreated].day
	l.Qualified = v[lQualified].day
	l.Converted = v[lConverted].day
	l.Rep = v[lRep].text
	d.agg.AddLead(l)
}

func addDeal(d *Decoder) {
	v, x := d.vals, &d.deal
	x.Created = v[dCreated].day
	x.Closed = v[dClosed].day
	x.Status = dealStatuses[v[dStatus].enum]
	x.Value = v[dValue].amount
	x.Rep = v[dRep].text
	x.CustomerID = v[dCustomer].text
	d.agg.AddDeal(x)
}

func addSpend(d *Decoder) {
	v, s := d.vals, &d.spend
	s.Day = v[sDate].day
	s.Amount = v[sAmount].amount
	d.agg.AddSpend(s)
}

func addCall(d *Decoder) {
	v, c := d.vals, &d.call
	c.Day = v[kDate].day
	c.Inbound = inbound[v[kDirection].enum]
	c.Rep = v[kRep].text
	d.agg.AddCall(c)
}

// column returns the index of a canonical column; it panics when the schema lacks it.
func column(table, name string) int {
	def := sources.SchemaOf(table)
	i := slices.IndexFunc(def.Columns, func(c sources.ColumnDef) bool { return c.Name == name })
	if i < 0 {
		panic(fmt.Sprintf("decode: schema has no column %s.%s", table, name))
	}
	return i
}

// enum maps the enum index + 1 of a canonical column (0 = empty) to the engine's
// value; it panics when the schema has a value m does not map.
func enum[T any](table, name string, m map[string]T) []T {
	c := &sources.SchemaOf(table).Columns[column(table, name)]
	out := make([]T, len(c.Values)+1)
	for i, v := range c.Values {
		x, ok := m[v]
		if !ok {
			panic(fmt.Sprintf("decode: no engine value for %s.%s %q", table, name, v))
		}
		out[i+1] = x
	}
	return out
}
