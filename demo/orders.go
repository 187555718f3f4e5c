package demo

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

const (
	kindNew = iota
	kindRepeat
	kindUpsell
	kindCrossSell
)

var (
	kinds = []string{"new", "repeat", "upsell", "cross_sell"}
	// laterKindShare weighs the kinds of a customer's orders after the first.
	laterKindShare = []int{0, 70, 18, 12}
	// segmentOrderEuros is the typical order of a segment, in euros.
	segmentOrderEuros = [3]int64{180, 650, 2400}
	// kindPct scales an order by its kind.
	kindPct = [4]int64{120, 100, 150, 80}
	// segmentOrderWeight is how often a customer of a segment orders,
	// relative to the others.
	segmentOrderWeight = [3]int{1, 2, 4}
	// orderHours weighs the local hour of an order.
	orderHours = hourTable(map[int]int{
		6: 1, 7: 3, 8: 6, 9: 9, 10: 10, 11: 10, 12: 8, 13: 9, 14: 10, 15: 9,
		16: 8, 17: 7, 18: 6, 19: 6, 20: 7, 21: 6, 22: 4, 23: 2,
	})
)

const (
	// refundPermille is the share of repeat orders that are refunds.
	refundPermille = 35
	// utcOrderPer is one in how many orders is written as a UTC timestamp.
	utcOrderPer = 50
)

// pendingOrder is an order of the current day before its details are drawn.
type pendingOrder struct {
	sec   int32 // local second of the day
	seq   int32 // creation order, the tie-break when sorting by time
	cust  int32
	flags uint8
}

const (
	orderSubscription uint8 = 1 << iota
	orderUTC
)

// activeSet holds the customers who can order today, one list per segment,
// with O(1) add, remove and uniform draw.
type activeSet struct {
	lists [3][]int32
}

func (a *activeSet) add(cs []customer, i int32) {
	c := &cs[i]
	c.pos = int32(len(a.lists[c.segment]))
	a.lists[c.segment] = append(a.lists[c.segment], i)
}

func (a *activeSet) remove(cs []customer, i int32) {
	c := &cs[i]
	l := a.lists[c.segment]
	last := l[len(l)-1]
	l[c.pos] = last
	cs[last].pos = c.pos
	a.lists[c.segment] = l[:len(l)-1]
}

// draw picks an active customer, segments weighed by segmentOrderWeight, or
// returns -1 when there is none.
func (a *activeSet) draw(r *rand.Rand) int32 {
	var w [3]int
	for s := range a.lists {
		w[s] = segmentOrderWeight[s] * len(a.lists[s])
	}
	total := w[0] + w[1] + w[2]
	if total == 0 {
		return -1
	}
	x := r.IntN(total)
	s := 0
	for ; x >= w[s]; s++ {
		x -= w[s]
	}
	return a.lists[s][x/segmentOrderWeight[s]]
}

// ordersTable writes the orders, day by day in time order. Each day gets its
// share of Options.Orders by season, growth and weekday; a customer acquired
// that day places the first (kind new) order, subscribers are billed monthly
// on the day of the month they were acquired, and the rest are drawn from the
// customers active that day. Only one day's orders are held in memory.
func (g *generator) ordersTable(w tableWriter) (int, error) {
	r := g.rand(streamOrders)
	cal, cs := g.cal, g.customers
	width := idWidth(g.opt.Orders, 7)

	churnHead := make([]int32, len(cal.days))
	for i := range churnHead {
		churnHead[i] = -1
	}
	churnNext := make([]int32, len(cs))
	for i := range cs {
		if d := cs[i].churned; d != noChurn {
			churnNext[i] = churnHead[d]
			churnHead[d] = int32(i)
		}
	}

	var (
		active    activeSet
		subsByDom [32][]int32
		pending   []pendingOrder
		nextAcq   int
		written   int
	)
	alloc := allocation{n: int64(g.opt.Orders), cum: cal.cumOrderWeight}
	for di := range cal.days {
		d := &cal.days[di]
		for ci := churnHead[di]; ci >= 0; ci = churnNext[ci] {
			active.remove(cs, ci)
		}
		acqStart := nextAcq
		for nextAcq < len(cs) && int(cs[nextAcq].acquired) == di {
			active.add(cs, int32(nextAcq))
			nextAcq++
		}
		if d.dom == 1 {
			// The month's billing days of the subscribers acquired before it.
			length := cal.months[d.mi].length
			for dom := range subsByDom {
				subsByDom[dom] = subsByDom[dom][:0]
			}
			for ci := range acqStart {
				c := &cs[ci]
				if c.sub && (c.churned == noChurn || int(c.churned) > di) {
					dom := min(cal.days[c.acquired].dom, length)
					subsByDom[dom] = append(subsByDom[dom], int32(ci))
				}
			}
		}

		n := int(alloc.at(di)) - written
		if n <= 0 {
			continue
		}
		pending = pending[:0]
		add := func(ci int32, flags uint8) {
			pending = append(pending, pendingOrder{seq: int32(len(pending)), cust: ci, flags: flags})
		}
		for ci := acqStart; ci < nextAcq && len(pending) < n; ci++ {
			var flags uint8
			if cs[ci].sub {
				flags = orderSubscription
			}
			add(int32(ci), flags)
		}
		for _, ci := range subsByDom[d.dom] {
			if len(pending) >= n {
				break
			}
			if c := &cs[ci]; c.churned == noChurn || int(c.churned) > di {
				add(ci, orderSubscription)
			}
		}
		forced := len(pending)
		for len(pending) < n {
			ci := active.draw(r)
			if ci < 0 {
				break
			}
			add(ci, 0)
		}

		for k := range pending {
			p := &pending[k]
			p.sec = int32(cal.localSecond(d, drawSecond(r, orderHours)))
			if r.IntN(utcOrderPer) == 0 {
				p.flags |= orderUTC
			}
		}
		// A few UTC orders just after midnight on the first of a month, whose
		// UTC date east of Greenwich is still in the previous month, and one
		// late on the last day.
		if d.dom == 1 && di > 0 {
			for k := forced; k < min(forced+2, len(pending)); k++ {
				pending[k].sec = int32(r.IntN(3600))
				pending[k].flags |= orderUTC
			}
		}
		if cal.lastDay(di) && len(pending) > forced {
			p := &pending[len(pending)-1]
			p.sec = int32(23*3600 + r.IntN(3600))
			p.flags |= orderUTC
		}
		slices.SortFunc(pending, func(a, b pendingOrder) int {
			return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.seq, b.seq))
		})

		for k := range pending {
			g.order(r, d, &pending[k], width, written+1)
			written++
			if err := g.emit(w); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// order draws the details of p and puts it in g.row as order number id.
func (g *generator) order(r *rand.Rand, d *day, p *pendingOrder, width, id int) {
	c := &g.customers[p.cust]
	var (
		kind      int
		cents     int64
		recurring bool
	)
	switch {
	case p.flags&orderSubscription != 0:
		cents, recurring, kind = c.subCents, true, kindRepeat
		if !c.ordered {
			kind = kindNew
		}
	case !c.ordered:
		kind = kindNew
		cents = orderCents(r, c.segment, kind)
	case r.IntN(1000) < refundPermille:
		kind = kindRepeat
		cents = -segmentOrderEuros[c.segment]*int64(20+r.IntN(81)) - int64(r.IntN(100))
	default:
		kind = pick(r, laterKindShare)
		cents = orderCents(r, c.segment, kind)
	}
	c.ordered = true
	cost := percentOf(cents, int64(40+r.IntN(31)))
	rep := c.rep
	if r.IntN(100) < 15 {
		rep = uint8(r.IntN(len(reps)))
	}

	ms := &g.months[d.mi]
	ms.revenue += cents
	if cents > 0 {
		ms.salesCount++
	}

	rw := &g.row
	rw.reset()
	rw.id("O", width, id)
	g.customerID(int(p.cust))
	if p.flags&orderUTC != 0 {
		rw.utcTime(d, int(p.sec), g.cal.loc)
	} else {
		rw.localTime(d, int(p.sec))
	}
	rw.money(cents)
	rw.money(cost)
	rw.bool(recurring)
	rw.text(kinds[kind])
	rw.text(reps[rep])
	rw.text(regions[c.region])
}

// orderCents draws the amount of an order of a customer in segment seg.
func orderCents(r *rand.Rand, seg uint8, kind int) int64 {
	perMille := int64(250 + r.IntN(751) + r.IntN(751)) // 0.25–1.75, mostly near 1
	if r.IntN(100) == 0 {
		perMille *= 4 // the occasional large order
	}
	return segmentOrderEuros[seg]*kindPct[kind]*perMille/1000 + int64(r.IntN(100))
}

// percentOf returns pct % of cents, rounded half away from zero.
func percentOf(cents, pct int64) int64 {
	if cents < 0 {
		return -percentOf(-cents, pct)
	}
	return (cents*pct + 50) / 100
}
