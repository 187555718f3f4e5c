package demo

import (
	"context"
	"testing"
)

func benchmarkGenerate(b *testing.B, format string, orders int) {
	for b.Loop() {
		if _, err := Generate(context.Background(), testOptions(b.TempDir(), format, orders)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(orders)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

func BenchmarkGenerateCSV(b *testing.B)    { benchmarkGenerate(b, FormatCSV, 100_000) }
func BenchmarkGenerateSQLite(b *testing.B) { benchmarkGenerate(b, FormatSQLite, 100_000) }
