package dedup

import (
	"context"
	"errors"
	"hash/maphash"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
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

	budgets := []struct {
		name   string
		budget int
	}{
		{"in memory", DefaultBudget},
		{"spilled past 2 hashes", 2 * 8 * 2},
		{"spilled past 300 hashes", 2 * 8 * 300},
	}
	for _, tt := range tests {
		for _, b := range budgets {
			t.Run(tt.name+"/"+b.name, func(t *testing.T) {
				dir := t.TempDir()
				t.Setenv("TMPDIR", dir)
				s := New(WithBudget(b.budget))
				var scratch []uint64
				n := 0
				for _, r := range tt.runs {
					scratch = s.Add(slices.Clone(r), scratch)
					n += len(r)
				}
				if n > b.budget/16 && s.Spilled() == 0 {
					t.Errorf("no spill of %d hashes with a budget of %d bytes", n, b.budget)
				}
				if s.Len() != n {
					t.Errorf("Len = %d, want %d", s.Len(), n)
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
				assertEmpty(t, dir)
			})
		}
	}
}

// assertEmpty fails when dir holds any file.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in the temporary folder: %s", e.Name())
	}
}

// TestConcurrentSpills adds from several goroutines at once, each of them spilling,
// with one id in two goroutines' runs.
func TestConcurrentSpills(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s := New(WithBudget(8 * 1000))
	rng := rand.New(rand.NewPCG(3, 4))
	all := make([][]uint64, 8)
	for w := range all {
		all[w] = make([]uint64, 50000)
		for i := range all[w] {
			all[w][i] = rng.Uint64()
		}
	}
	all[6][49999] = all[1][3]
	var wg sync.WaitGroup
	for w := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []uint64
			for h := range slices.Chunk(all[w], 700) {
				scratch = s.Add(slices.Clone(h), scratch)
			}
		}()
	}
	wg.Wait()
	if s.Spilled() < maxRuns {
		t.Errorf("%d spills, want at least %d (a compaction)", s.Spilled(), maxRuns)
	}
	got, err := s.Repeated(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uint64]struct{}{all[1][3]: {}}, got); diff != "" {
		t.Errorf("Repeated (-want +got):\n%s", diff)
	}
	assertEmpty(t, dir)
}

// TestSpillError: a spill that cannot make its file is reported by Repeated.
func TestSpillError(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	s := New(WithBudget(16))
	s.Add([]uint64{1, 2, 3}, nil)
	if _, err := s.Repeated(context.Background(), 1); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want one wrapping fs.ErrNotExist", err)
	}
}

// TestCloseRemovesFile: a set closed without Repeated, as on an error while reading,
// leaves no file.
func TestCloseRemovesFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s := New(WithBudget(16))
	s.Add([]uint64{1, 2, 3}, nil)
	if s.Spilled() != 1 {
		t.Fatalf("Spilled = %d, want 1", s.Spilled())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, dir)
	if _, err := s.Repeated(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Repeated after Close: err = %v, want ErrClosed", err)
	}
}

func sorted(h ...uint64) []uint64 {
	out := append([]uint64{}, h...)
	slices.Sort(out)
	return out
}

func TestRepeatedCancelled(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	s := New(WithBudget(8))
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
