package demo

import "slices"

var (
	leadSources     = []string{"web", "referral", "event", "outbound"}
	leadSourceShare = []int{45, 20, 15, 20}
)

const (
	// qualifiedPct of leads are qualified within three weeks, and
	// convertedPct of those convert 3–60 days later: about 20 % in all.
	qualifiedPct = 45
	convertedPct = 45
)

// leadsTable writes about Orders/8 leads (at least 400), created in step with
// the business. Dates past the end of the data stay empty: not yet happened.
func (g *generator) leadsTable(w tableWriter) (int, error) {
	r := g.rand(streamLeads)
	cal := g.cal
	n := max(400, g.opt.Orders/8)
	width := idWidth(n, 7)
	alloc := allocation{n: int64(n), cum: cal.cumOrderWeight}
	rw := &g.row
	written := 0
	for di := range cal.days {
		for range alloc.count(di) {
			qualified, converted := -1, -1
			if r.IntN(100) < qualifiedPct {
				qualified = di + r.IntN(21)
				if r.IntN(100) < convertedPct {
					converted = qualified + 3 + r.IntN(58)
				}
			}
			source := pick(r, leadSourceShare)
			rep := r.IntN(len(reps))

			written++
			rw.reset()
			rw.id("L", width, written)
			rw.date(&cal.days[di])
			g.optionalDate(qualified)
			g.optionalDate(converted)
			rw.text(leadSources[source])
			rw.text(reps[rep])
			if err := g.emit(w); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// optionalDate puts day index di in the row, or an empty value when di is
// negative or past the end of the data.
func (g *generator) optionalDate(di int) {
	if di < 0 || di >= len(g.cal.days) {
		g.row.empty()
		return
	}
	g.row.date(&g.cal.days[di])
}

const (
	dealWonPct  = 40
	dealLostPct = 50 // the rest of the deals past their cycle have stalled
	// dealCustomerPct of the won deals name the customer they were won from;
	// otherDealCustomerPct of the others name an existing customer.
	dealCustomerPct      = 75
	otherDealCustomerPct = 15
)

// dealsTable writes about Orders/20 deals (at least 150). A deal closes 5–120
// days after it was created, mostly early; one that would close after the end
// of the data is still open.
func (g *generator) dealsTable(w tableWriter) (int, error) {
	r := g.rand(streamDeals)
	cal := g.cal
	n := max(150, g.opt.Orders/20)
	width := idWidth(n, 6)
	alloc := allocation{n: int64(n), cum: cal.cumOrderWeight}
	rw := &g.row
	written := 0
	for di := range cal.days {
		for range alloc.count(di) {
			closed := di + 5 + r.IntN(116)*r.IntN(116)/115
			status := "open"
			if closed >= len(cal.days) {
				closed = -1
			} else {
				switch x := r.IntN(100); {
				case x < dealWonPct:
					status = "won"
				case x < dealWonPct+dealLostPct:
					status = "lost"
				default:
					closed = -1
				}
			}
			var euros int64
			switch x := r.IntN(100); {
			case x < 60:
				euros = 1000 + int64(r.IntN(9001))
			case x < 90:
				euros = 10000 + int64(r.IntN(30001))
			default:
				euros = 40000 + int64(r.IntN(110001))
			}
			euros -= euros % 10
			customer := -1
			linkPct, known := otherDealCustomerPct, di
			if status == "won" {
				linkPct, known = dealCustomerPct, closed
			}
			if r.IntN(100) < linkPct && g.acquiredBy[known] > 0 {
				customer = r.IntN(g.acquiredBy[known])
			}
			rep := r.IntN(len(reps))

			written++
			rw.reset()
			rw.id("D", width, written)
			rw.date(&cal.days[di])
			g.optionalDate(closed)
			rw.text(status)
			rw.money(euros * 100)
			rw.text(reps[rep])
			if customer < 0 {
				rw.empty()
			} else {
				g.customerID(customer)
			}
			if err := g.emit(w); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// callWeekdayTenths is the call volume per weekday in tenths of a working day.
var callWeekdayTenths = [7]int64{0, 10, 10, 10, 10, 9, 1}

var callHours = hourTable(map[int]int{
	8: 3, 9: 8, 10: 10, 11: 10, 12: 5, 13: 8, 14: 10, 15: 10, 16: 8, 17: 5, 18: 2,
})

const inboundCallPct = 35

// callsTable writes about Orders/4 calls (at least 800), on working days
// during office hours, in time order.
func (g *generator) callsTable(w tableWriter) (int, error) {
	r := g.rand(streamCalls)
	cal := g.cal
	n := max(800, g.opt.Orders/4)
	width := idWidth(n, 7)
	weights := make([]int64, len(cal.days))
	for i, d := range cal.days {
		weights[i] = growthPct(d.mi) * callWeekdayTenths[d.weekday]
	}
	alloc := allocation{n: int64(n), cum: cumulative(weights)}
	rw := &g.row
	var secs []int
	written := 0
	for di := range cal.days {
		secs = secs[:0]
		for range alloc.count(di) {
			secs = append(secs, cal.localSecond(&cal.days[di], drawSecond(r, callHours)))
		}
		slices.Sort(secs)
		for _, sec := range secs {
			direction := "outbound"
			if r.IntN(100) < inboundCallPct {
				direction = "inbound"
			}
			rep := r.IntN(len(reps))

			written++
			rw.reset()
			rw.id("CL", width, written)
			rw.localTime(&cal.days[di], sec)
			rw.text(direction)
			rw.text(reps[rep])
			if err := g.emit(w); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}
