package demo

import (
	"math/rand/v2"
)

// customer is one generated customer. Customers are sorted by acquisition
// day; customer i has id C<i+1>.
type customer struct {
	acquired int32 // day index
	churned  int32 // day index of the first day without the customer, or noChurn
	segment  uint8
	region   uint8
	rep      uint8
	sub      bool  // pays a monthly subscription
	ordered  bool  // has ordered before (set while the orders are generated)
	subCents int64 // monthly subscription price
	pos      int32 // position in its activeSet list
}

const noChurn = -1

const (
	segSMB = iota
	segMid
	segEnterprise
)

var (
	segments     = []string{"smb", "mid", "enterprise"}
	segmentShare = []int{65, 27, 8}
	regions      = []string{"Noord", "Zuid", "Oost", "West", "Randstad"}
	regionShare  = []int{12, 20, 15, 18, 35}
	// churnPermille is the chance per month that a customer leaves: about
	// 2.7 % a month over the mix of segments.
	churnPermille = [3]int{32, 20, 10}
	// subscriptionPct is the share of customers with a monthly subscription.
	subscriptionPct   = [3]int{25, 35, 30}
	subscriptionCents = [3][]int64{{4900, 9900, 19900}, {49900, 99900}, {249900, 499900}}
)

// initialBasePct is the share of customers acquired in the first month: half
// of them on its first day, the rest spread over the month.
const initialBasePct = 30

// newCustomers draws the customers: max(200, Orders/40) of them, an initial
// base in the first month and the rest acquired in step with the business.
func (g *generator) newCustomers() {
	r := g.rand(streamCustomers)
	cal := g.cal
	n := max(200, g.opt.Orders/40)
	base := n * initialBasePct / 100
	firstDay := base / 2
	ones := make([]int64, cal.months[0].end)
	for i := range ones {
		ones[i] = 1
	}
	baseAlloc := allocation{n: int64(base - firstDay), cum: cumulative(ones)}
	rest := allocation{n: int64(n - base), cum: cal.cumOrderWeight}

	g.customers = make([]customer, 0, n)
	g.acquiredBy = make([]int, len(cal.days))
	for di := range cal.days {
		count := rest.count(di)
		if di < len(ones) {
			count += baseAlloc.count(di)
		}
		if di == 0 {
			count += firstDay
		}
		for range count {
			g.customers = append(g.customers, g.newCustomer(r, di))
		}
		g.acquiredBy[di] = len(g.customers)
	}
	g.custWidth = idWidth(len(g.customers), 6)
}

func (g *generator) newCustomer(r *rand.Rand, di int) customer {
	seg := pick(r, segmentShare)
	c := customer{
		acquired: int32(di),
		churned:  noChurn,
		segment:  uint8(seg),
		region:   uint8(pick(r, regionShare)),
		rep:      uint8(r.IntN(len(reps))),
	}
	if r.IntN(100) < subscriptionPct[seg] {
		c.sub = true
		prices := subscriptionCents[seg]
		c.subCents = prices[r.IntN(len(prices))]
	}
	// Churn is drawn month by month from the month after the acquisition on.
	for mi := g.cal.days[di].mi + 1; mi < len(g.cal.months); mi++ {
		if r.IntN(1000) < churnPermille[seg] {
			m := g.cal.months[mi]
			c.churned = int32(m.first + r.IntN(m.end-m.first))
			break
		}
	}
	return c
}

// customersTable writes the customers.
func (g *generator) customersTable(w tableWriter) (int, error) {
	r := g.rand(streamNames)
	rw := &g.row
	for i := range g.customers {
		c := &g.customers[i]
		rw.reset()
		rw.id("C", g.custWidth, i+1)
		rw.buf = appendName(rw.buf, r, i)
		rw.next()
		rw.text(segments[c.segment])
		rw.text(regions[c.region])
		rw.date(&g.cal.days[c.acquired])
		if c.churned == noChurn {
			rw.empty()
		} else {
			rw.date(&g.cal.days[c.churned])
		}
		if err := g.emit(w); err != nil {
			return i, err
		}
	}
	return len(g.customers), nil
}

// customerID writes the id of customer index i.
func (g *generator) customerID(i int) {
	g.row.id("C", g.custWidth, i+1)
}

// specialNames test the readers and the renderers: separators and quotes
// in CSV, non-ASCII text, and cells a spreadsheet would run as a formula.
// Customer 3+17k gets specialNames[k].
var specialNames = []string{
	"Jansen, de Vries & Zn.",
	"=SUM(A1:A3)",
	`Café "De Gouden Leeuw"`,
	`Bakker, Smit & Co. "Vastgoed" B.V.`,
	"+31 Telecom B.V.",
	"@Home Interieur",
	"-Lijn Design",
	"'s-Hertogenbosch Metaalwerken B.V.",
}

var (
	surnames = []string{
		"Jansen", "De Vries", "Van den Berg", "Van Dijk", "Bakker", "Janssen", "Visser", "Smit",
		"Meijer", "De Boer", "Mulder", "De Groot", "Bos", "Vos", "Peters", "Hendriks",
		"Van Leeuwen", "Dekker", "Brouwer", "De Wit", "Dijkstra", "Smits", "De Graaf", "Van der Meer",
		"Kok", "Jacobs", "Vermeulen", "Van der Linden", "Kuipers", "Scholten", "Çelik", "Müller",
	}
	brands = []string{
		"Northwind", "Blue Harbor", "Greenfield", "Oakwood", "Silverline", "Brightway", "Tulip", "Windmill",
		"Polder", "Delta", "Canal Street", "Dune", "Lighthouse", "Orange Fox", "Red Brick", "Noorderlicht",
		"Zonnebloem", "Vlinder", "Meridian", "Keystone", "Summit", "Riverside", "Amstel", "Zeeland",
	}
	trades = []string{
		"Installatie", "Bouw", "Techniek", "Logistiek", "Transport", "Advies", "Metaal", "Schilders",
		"Bakkerij", "Drukkerij", "Automatisering", "Interieur", "Groothandel", "Hoveniers", "Elektro",
	}
	industries = []string{
		"Logistics", "Trading", "Consulting", "Solutions", "Foods", "Media", "Software", "Systems",
		"Retail", "Supplies", "Engineering", "Labs", "Partners", "Group",
	}
	legalForms = []string{"B.V.", "B.V.", "B.V.", "", "", "Holding B.V.", "V.O.F.", "N.V.", "Ltd."}
	// namePatternShare weighs the name patterns of appendName.
	namePatternShare = []int{40, 35, 15, 10}
)

// appendName appends the company name of customer index i.
func appendName(b []byte, r *rand.Rand, i int) []byte {
	if k := (i - 3) / 17; i >= 3 && (i-3)%17 == 0 && k < len(specialNames) {
		return append(b, specialNames[k]...)
	}
	legal := legalForms[r.IntN(len(legalForms))]
	switch pick(r, namePatternShare) {
	case 0:
		b = append(b, surnames[r.IntN(len(surnames))]...)
		b = append(b, ' ')
		b = append(b, trades[r.IntN(len(trades))]...)
	case 1:
		b = append(b, brands[r.IntN(len(brands))]...)
		b = append(b, ' ')
		b = append(b, industries[r.IntN(len(industries))]...)
	case 2:
		b = append(b, surnames[r.IntN(len(surnames))]...)
		b = append(b, " & "...)
		b = append(b, surnames[r.IntN(len(surnames))]...)
	default:
		b = append(b, surnames[r.IntN(len(surnames))]...)
		legal = "& Zn."
	}
	if legal != "" {
		b = append(b, ' ')
		b = append(b, legal...)
	}
	return b
}
