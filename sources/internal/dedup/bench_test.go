package dedup

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkTenMillion adds 10M random hashes in chunks, as the CSV reader does for
// 10M order ids, with the default budget (so they spill), and finds the repeats.
func BenchmarkTenMillion(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, chunk = 10_000_000, 20000
	all := make([]uint64, n)
	for i := range all {
		all[i] = rng.Uint64()
	}
	for b.Loop() {
		s := New()
		var scratch []uint64
		for i := 0; i < n; i += chunk {
			h := make([]uint64, chunk)
			copy(h, all[i:i+chunk])
			scratch = s.Add(h, scratch)
		}
		if _, err := s.Repeated(context.Background(), 2); err != nil {
			b.Fatal(err)
		}
	}
}
