// Package dedup finds repeated ids among many millions without keeping the ids: a
// Set keeps one 64-bit hash per id and finds the hashes that occur more than once,
// in memory that does not grow with the number of ids: past a budget it sorts the
// hashes it holds and spills them to a temporary file, and at the end merges the
// sorted runs. An equal hash is only a candidate (two ids may share one); a
// Resolver confirms it by comparing the ids themselves in a second pass over the rows.
package dedup

import (
	"context"
	"errors"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
)

// A Set's hashes are kept in runs, each partitioned by the top partBits bits of the
// hash, so that a spill can sort the partitions apart and in parallel, and the search
// for repeats can take one partition at a time across all runs, in memory and on disk.
const (
	partBits = 8
	parts    = 1 << partBits
)

// MaxCandidates bounds the number of repeated hashes Repeated returns. A real
// duplicate is found as long as fewer than this many unrelated ids share a hash,
// which with 64-bit hashes does not happen.
const MaxCandidates = 1 << 16

// DefaultBudget is the memory, in bytes, a Set uses for hashes by default.
const DefaultBudget = 16 << 20

// Set collects the hashes of ids. Add may be called from several goroutines.
type Set struct {
	seed  maphash.Seed
	limit int // hashes held in memory before they are spilled

	mu     sync.Mutex
	runs   []run // in memory
	held   int   // hashes in runs
	added  int
	err    error // the first spill error; the hashes are dropped from then on
	closed bool

	spillMu sync.Mutex // held while spilling; taken before mu
	buf     []uint64   // the hashes being spilled, sorted
	disk    *spillFile
	spilled int // runs spilled
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

// Option configures a Set.
type Option func(*Set)

// WithBudget sets the memory, in bytes, a Set uses for hashes: half of it for the
// hashes it holds, half to sort them when it spills them to a temporary file.
// Default: DefaultBudget (16 MiB).
func WithBudget(bytes int) Option {
	return func(s *Set) { s.limit = max(bytes/2/8, 1) }
}

// New returns an empty set with a new random hash seed. Close removes the temporary
// files it may have made.
func New(opts ...Option) *Set {
	s := &Set{seed: maphash.MakeSeed()}
	WithBudget(DefaultBudget)(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// Seed returns the seed the set's hashes must be made with: maphash.Bytes(Seed(), id).
func (s *Set) Seed() maphash.Seed { return s.seed }

// Add adds the hashes h and keeps h until it is spilled (the caller must not change
// it afterwards). It reorders h using scratch, which it returns, grown when needed,
// for the next call. When the set holds more hashes than its budget allows, Add
// spills them before it returns; an error doing so is returned by Repeated.
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
	s.added += len(h)
	if s.err != nil || s.closed {
		s.mu.Unlock()
		return scratch
	}
	s.runs = append(s.runs, r)
	s.held += len(h)
	over := s.held > s.limit
	s.mu.Unlock()
	if over {
		s.spill()
	}
	return scratch
}

// spill sorts the hashes held and writes them to the set's file as one more run.
// An Add that finds the set over its budget waits here while another spills, so
// that the hashes held stay within it.
func (s *Set) spill() {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	s.mu.Lock()
	if s.held <= s.limit || s.err != nil || s.closed {
		s.mu.Unlock()
		return
	}
	runs := s.runs
	s.runs, s.held = nil, 0
	s.mu.Unlock()

	n := 0
	for i := range runs {
		n += len(runs[i].h)
	}
	if cap(s.buf) < n {
		s.buf = make([]uint64, n)
	}
	buf := s.buf[:n]
	var bounds [parts + 1]int
	k := 0
	for p := range parts {
		bounds[p] = k
		for i := range runs {
			k += copy(buf[k:], runs[i].part(p))
		}
	}
	bounds[parts] = k
	runs = nil
	sortParts(buf, &bounds)
	var err error
	if s.disk == nil {
		s.disk, err = newSpillFile()
	}
	if err == nil {
		err = s.disk.write(buf, &bounds)
	}
	if err == nil && len(s.disk.runs) >= maxRuns {
		s.disk, err = s.disk.compact()
	}
	if err != nil {
		err = errors.Join(err, s.disk.remove())
		s.disk = nil
		s.mu.Lock()
		s.err = err
		s.runs, s.held = nil, 0
		s.mu.Unlock()
		return
	}
	s.spilled++
}

// sortParts sorts each partition buf[bounds[p]:bounds[p+1]], in parallel.
func sortParts(buf []uint64, bounds *[parts + 1]int) {
	var (
		next atomic.Int32
		wg   sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s sorter
			for p := int(next.Add(1) - 1); p < parts; p = int(next.Add(1) - 1) {
				s.sort(buf[bounds[p]:bounds[p+1]])
			}
		}()
	}
	wg.Wait()
}

// Len returns the number of hashes added.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.added
}

// Spilled returns the number of runs of hashes spilled to the temporary file so far.
func (s *Set) Spilled() int {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	return s.spilled
}

// Close drops the hashes and removes the temporary file. Close may be called more
// than once; Repeated calls it.
func (s *Set) Close() error {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	s.mu.Lock()
	s.runs, s.held, s.closed = nil, 0, true
	s.mu.Unlock()
	s.buf = nil
	err := s.disk.remove()
	s.disk = nil
	return err
}

// Repeated returns the hashes added more than once (at most MaxCandidates), using
// workers goroutines, and then closes the set. It returns ctx's error when ctx is
// cancelled, and the error of a spill that failed.
func (s *Set) Repeated(ctx context.Context, workers int) (found map[uint64]struct{}, err error) {
	s.spillMu.Lock()
	s.mu.Lock()
	runs, closed := s.runs, s.closed
	err = s.err
	s.mu.Unlock()
	disk := s.disk
	s.spillMu.Unlock()
	defer func() {
		if cerr := s.Close(); cerr != nil {
			found, err = nil, errors.Join(err, cerr)
		}
	}()
	switch {
	case err != nil:
		return nil, err
	case closed:
		return nil, ErrClosed
	}
	var (
		next     atomic.Int32
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	found = map[uint64]struct{}{}
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newMerger(disk)
			for {
				p := int(next.Add(1) - 1)
				if p >= parts || ctx.Err() != nil {
					return
				}
				rep, err := m.repeats(runs, p)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for _, h := range rep {
					if len(found) < MaxCandidates {
						found[h] = struct{}{}
					}
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return found, nil
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
