package demo

import (
	"context"
	"math/rand/v2"
)

// generator holds what the tables share: the options, the day grid, the
// customers (the only table kept in memory) and the revenue per month that
// the spend and the config targets are derived from.
type generator struct {
	ctx       context.Context
	opt       Options
	cal       *calendar
	customers []customer
	// acquiredBy[i] is the number of customers acquired on or before day i.
	acquiredBy []int
	custWidth  int
	row        row
	rows       int // rows written since the last cancellation check
	months     []monthStats
}

// monthStats are the order totals of one month, in cents.
type monthStats struct {
	revenue    int64
	salesCount int64
}

// Random streams: each table draws from its own, so changing one table's
// generator leaves the others as they were.
const (
	streamCustomers uint64 = iota + 1
	streamOrders
	streamLeads
	streamDeals
	streamSpend
	streamCalls
	streamNames
)

func newGenerator(ctx context.Context, opt Options, cal *calendar) *generator {
	g := &generator{ctx: ctx, opt: opt, cal: cal, months: make([]monthStats, len(cal.months))}
	g.newCustomers()
	return g
}

func (g *generator) rand(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.opt.Seed), stream))
}

// emit writes the current row to w and checks for cancellation every few
// thousand rows.
func (g *generator) emit(w tableWriter) error {
	if err := w.write(&g.row); err != nil {
		return err
	}
	if g.rows++; g.rows >= 4096 {
		g.rows = 0
		return g.ctx.Err()
	}
	return nil
}

// Sales reps, shared by all tables.
var reps = []string{
	"Anna de Boer", "Daan Visser", "Sophie Bakker", "Lucas Smit",
	"Emma Mulder", "Noah de Graaf", "Julia Meijer",
}

// pick returns an index into weights chosen in proportion to the weights.
func pick(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// hourTable maps a uniform draw to an hour of the day with the given weights.
func hourTable(weights map[int]int) []uint8 {
	var t []uint8
	for h := range 24 {
		for range weights[h] {
			t = append(t, uint8(h))
		}
	}
	return t
}

// drawSecond returns a local second of the day, the hour drawn from hours.
func drawSecond(r *rand.Rand, hours []uint8) int {
	return int(hours[r.IntN(len(hours))])*3600 + r.IntN(3600)
}
