// Package dedup finds repeated ids among many millions without keeping the ids: a
// Set keeps one 64-bit hash per id, 8 bytes a row, and finds the hashes that occur
// more than once. An equal hash is only a candidate (two ids may share one); a
// Resolver confirms it by comparing the ids themselves in a second pass over the rows.
package dedup

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// A Set's hashes are kept in runs, each partitioned by the top partBits bits of the
// hash, so that the search for repeats can take one partition at a time across all
// runs, in a hash table that fits in the CPU cache.
const (
	partBits = 8
	parts    = 1 << partBits
)

// MaxCandidates bounds the number of repeated hashes Repeated returns. A real
// duplicate is found as long as fewer than this many unrelated ids share a hash,
// which with 64-bit hashes does not happen.
const MaxCandidates = 1 << 16

// Set collects the hashes of ids. Add may be called from several goroutines.
type Set struct {
	seed maphash.Seed
	mu   sync.Mutex
	runs []run
}

type run struct {
	h   []uint64
	end [parts]int32 // partition p is h[end[p-1]:end[p]]
}

func (r *run) part(p int) []uint64 {
	start := int32(0)
	if p > 0 {
		start = r.end[p-1]
	}
	return r.h[start:r.end[p]]
}

// New returns an empty set with a new random hash seed.
func New() *Set { return &Set{seed: maphash.MakeSeed()} }

// Seed returns the seed the set's hashes must be made with: maphash.Bytes(Seed(), id).
func (s *Set) Seed() maphash.Seed { return s.seed }

// Add adds the hashes h and keeps h (the caller must not change it afterwards). It
// reorders h using scratch, which it returns, grown when needed, for the next call.
func (s *Set) Add(h, scratch []uint64) []uint64 {
	if len(h) == 0 {
		return scratch
	}
	r := run{h: h}
	var count [parts]int32
	for _, x := range h {
		count[x>>(64-partBits)]++
	}
	var start [parts]int32
	n := int32(0)
	for p, c := range count {
		start[p] = n
		n += c
		r.end[p] = n
	}
	if cap(scratch) < len(h) {
		scratch = make([]uint64, len(h))
	}
	scratch = scratch[:len(h)]
	for _, x := range h {
		p := x >> (64 - partBits)
		scratch[start[p]] = x
		start[p]++
	}
	copy(h, scratch)
	s.mu.Lock()
	s.runs = append(s.runs, r)
	s.mu.Unlock()
	return scratch
}

// Len returns the number of hashes added.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.runs {
		n += len(r.h)
	}
	return n
}

// Repeated returns the hashes added more than once (at most MaxCandidates), using
// workers goroutines. It returns ctx's error when ctx is cancelled.
func (s *Set) Repeated(ctx context.Context, workers int) (map[uint64]struct{}, error) {
	s.mu.Lock()
	runs := s.runs
	s.mu.Unlock()
	var (
		next  atomic.Int32
		mu    sync.Mutex
		found = map[uint64]struct{}{}
		wg    sync.WaitGroup
	)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var table []uint64
			for {
				p := int(next.Add(1) - 1)
				if p >= parts || ctx.Err() != nil {
					return
				}
				var rep []uint64
				table, rep = repeatsIn(runs, p, table)
				if len(rep) == 0 {
					continue
				}
				mu.Lock()
				for _, h := range rep {
					if len(found) < MaxCandidates {
						found[h] = struct{}{}
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return found, nil
}

// repeatsIn returns the hashes of partition p that occur more than once, using table
// (returned for reuse) as an open-addressing hash set.
func repeatsIn(runs []run, p int, table []uint64) ([]uint64, []uint64) {
	n := 0
	for i := range runs {
		n += len(runs[i].part(p))
	}
	size := 64
	for size < 2*n {
		size <<= 1
	}
	if cap(table) < size {
		table = make([]uint64, size)
	}
	table = table[:size]
	clear(table)
	mask := uint64(size - 1)
	var rep []uint64
	zero := false // 0 marks an empty slot, so the hash 0 is tracked apart
	for i := range runs {
		for _, h := range runs[i].part(p) {
			if h == 0 {
				if zero {
					rep = append(rep, h)
				}
				zero = true
				continue
			}
			j := h & mask // the low bits: the top ones are the partition
			for table[j] != 0 && table[j] != h {
				j = (j + 1) & mask
			}
			if table[j] == h {
				rep = append(rep, h)
				continue
			}
			table[j] = h
		}
	}
	return table, rep
}

// Resolver finds, in a second pass over the rows in their order, the first id that is
// really repeated among the candidate hashes.
type Resolver struct {
	seed  maphash.Seed
	want  map[uint64]struct{}
	first map[string]int64
}

// NewResolver returns a resolver for the candidates Repeated returned, hashed with seed.
func NewResolver(seed maphash.Seed, candidates map[uint64]struct{}) *Resolver {
	return &Resolver{seed: seed, want: candidates, first: map[string]int64{}}
}

// Check looks at id, found on line, and reports the line of its first occurrence when
// it was seen before.
func (r *Resolver) Check(id []byte, line int64) (first int64, dup bool) {
	if _, ok := r.want[maphash.Bytes(r.seed, id)]; !ok {
		return 0, false
	}
	if f, ok := r.first[string(id)]; ok {
		return f, true
	}
	r.first[string(id)] = line
	return 0, false
}
