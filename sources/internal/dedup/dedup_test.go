package dedup

import (
	"context"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRepeated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		runs    [][]uint64
		workers int
		want    []uint64
	}{
		{name: "none", runs: [][]uint64{{1, 2, 3}, {4, 5}}, workers: 2},
		{name: "within a run", runs: [][]uint64{{7, 1 << 63, 7}}, workers: 1, want: []uint64{7}},
		{name: "across runs and partitions", runs: [][]uint64{{1 << 63, 5, 9}, {3, 1<<63 | 1}, {1 << 63}}, workers: 3, want: []uint64{1 << 63}},
		{name: "zero", runs: [][]uint64{{0, 1}, {0}}, workers: 2, want: []uint64{0}},
		{name: "three times", runs: [][]uint64{{42}, {42}, {42}}, workers: 2, want: []uint64{42}},
	}
	big := make([][]uint64, 0, 10)
	for range 10 {
		run := make([]uint64, 10000)
		for i := range run {
			run[i] = rng.Uint64()
		}
		big = append(big, run)
	}
	big[3][17], big[9][9999] = big[0][5], big[0][5]
	big[4][0] = big[4][1]
	tests = append(tests, struct {
		name    string
		runs    [][]uint64
		workers int
		want    []uint64
	}{"100000 random", big, 4, sorted(big[0][5], big[4][0])})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			var scratch []uint64
			for _, r := range tt.runs {
				scratch = s.Add(slices.Clone(r), scratch)
			}
			got, err := s.Repeated(context.Background(), tt.workers)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]uint64, 0, len(got))
			for h := range got {
				keys = append(keys, h)
			}
			slices.Sort(keys)
			if diff := cmp.Diff(sorted(tt.want...), keys); diff != "" {
				t.Errorf("Repeated (-want +got):\n%s", diff)
			}
		})
	}
}

func sorted(h ...uint64) []uint64 {
	out := append([]uint64{}, h...)
	slices.Sort(out)
	return out
}

func TestRepeatedCancelled(t *testing.T) {
	s := New()
	s.Add([]uint64{1, 1}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Repeated(ctx, 2); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestResolver: only equal ids are duplicates; ids that merely share a candidate hash
// (as colliding ids would) are not.
func TestResolver(t *testing.T) {
	seed := maphash.MakeSeed()
	h := func(s string) uint64 { return maphash.String(seed, s) }
	r := NewResolver(seed, map[uint64]struct{}{h("A"): {}, h("B"): {}})
	type check struct {
		id    string
		line  int64
		first int64
		dup   bool
	}
	for _, c := range []check{
		{id: "A", line: 2},
		{id: "B", line: 3}, // a different id with a candidate hash: not a duplicate
		{id: "C", line: 4},
		{id: "C", line: 5}, // not a candidate: never looked at
		{id: "A", line: 9, first: 2, dup: true},
	} {
		first, dup := r.Check([]byte(c.id), c.line)
		if first != c.first || dup != c.dup {
			t.Errorf("Check(%s, %d) = %d, %v, want %d, %v", c.id, c.line, first, dup, c.first, c.dup)
		}
	}
}
