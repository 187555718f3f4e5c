package csv

import (
	"context"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
)

// BenchmarkCSVOrders loads a synthetic orders.csv of 1M rows in the demo's format
// (about 70 MB) with its customers.
func BenchmarkCSVOrders(b *testing.B) {
	const orders = 1_000_000
	dir := b.TempDir()
	writeSynthetic(b, dir, orders, 1, false)
	src, err := Open(sources.Options{Type: "csv", Dir: dir, Location: amsterdam})
	if err != nil {
		b.Fatal(err)
	}
	plan := kpi.NewPlan(october)
	for b.Loop() {
		if _, err := src.Load(context.Background(), plan); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(orders)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
