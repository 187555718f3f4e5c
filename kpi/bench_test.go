package kpi

import (
	"fmt"
	"testing"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// BenchmarkAggregatorAddOrder feeds orders of 25,000 customers over two years into
// the aggregator of a monthly report.
func BenchmarkAggregatorAddOrder(b *testing.B) {
	p := period.Period{Kind: period.Month, Year: 2026, N: 10}
	a := NewAggregator(NewPlan(p))
	const customers = 25000
	ids := make([][]byte, customers)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("C%06d", i))
	}
	span := NewPlan(p).Span()
	days := int(span.End - span.Start)
	reps := [][]byte{[]byte("Anna"), []byte("Bram"), []byte("Chris")}
	o := Order{Amount: money.MustParse("123.45"), Cost: money.MustParse("60"), Kind: KindRepeat, Region: []byte("Noord")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o.CustomerID = ids[(i*7919)%customers]
		o.Day = span.Start + period.Date(i%days)
		o.Rep = reps[i%len(reps)]
		a.AddOrder(&o)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
