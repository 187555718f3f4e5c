package decode

import (
	"fmt"
	"hash/maphash"
	"testing"
)

func TestIDSet(t *testing.T) {
	seed := maphash.MakeSeed()
	c := NewCustomerIDs(seed)
	var hs []uint64
	for i := range 1000 {
		hs = append(hs, maphash.Bytes(seed, fmt.Appendf(nil, "C%06d", i)))
	}
	c.Add(hs[:500])
	c.Add(hs[500:])
	c.Add(hs[:10]) // a repeat is kept once
	s := c.Set()
	for i := range 2000 {
		id := fmt.Appendf(nil, "C%06d", i)
		if got := s.Has(id); got != (i < 1000) {
			t.Errorf("Has(%s) = %v", id, got)
		}
	}
	if empty := NewCustomerIDs(seed).Set(); empty.Has([]byte("C1")) {
		t.Error("an empty set has C1")
	}
}

// BenchmarkIDSetHas looks up the customers of the orders of the CSV benchmark: 25,000
// customers, ids like the demo's.
func BenchmarkIDSetHas(b *testing.B) {
	seed := maphash.MakeSeed()
	c := NewCustomerIDs(seed)
	ids := make([][]byte, 25000)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "C-%07d", i)
		c.Add([]uint64{maphash.Bytes(seed, ids[i])})
	}
	s := c.Set()
	i := 0
	for b.Loop() {
		if !s.Has(ids[(i*7919)%len(ids)]) {
			b.Fatal("missing")
		}
		i++
	}
}

func BenchmarkMaphash(b *testing.B) {
	seed := maphash.MakeSeed()
	ids := make([][]byte, 25000)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "C-%07d", i)
	}
	i := 0
	var x uint64
	for b.Loop() {
		x += maphash.Bytes(seed, ids[(i*7919)%len(ids)])
		i++
	}
	_ = x
}
