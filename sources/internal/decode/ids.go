package decode

import (
	"hash/maphash"
	"sync"
)

// CustomerIDs collects the hashes of the customer ids of the customers table, from
// several goroutines, for the check that every order's customer is a customer.
type CustomerIDs struct {
	seed   maphash.Seed
	mu     sync.Mutex
	hashes []uint64
}

// NewCustomerIDs returns an empty collection of hashes made with seed (the seed of
// the customers' decoders).
func NewCustomerIDs(seed maphash.Seed) *CustomerIDs { return &CustomerIDs{seed: seed} }

// Add adds a copy of hashes.
func (c *CustomerIDs) Add(hashes []uint64) {
	c.mu.Lock()
	c.hashes = append(c.hashes, hashes...)
	c.mu.Unlock()
}

// Set returns the set of the hashes added. The collection is emptied.
func (c *CustomerIDs) Set() *IDSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := 16
	for size < 2*len(c.hashes) {
		size *= 2
	}
	s := &IDSet{seed: c.seed, slots: make([]uint64, size), mask: uint64(size - 1)}
	for _, h := range c.hashes {
		s.add(h)
	}
	c.hashes = nil
	return s
}

// IDSet is a set of id hashes: an open-addressing table with linear probing, 16 bytes
// per id at most. An id whose hash equals another's is taken for that one, which
// with 64-bit hashes does not happen in practice.
type IDSet struct {
	seed    maphash.Seed
	slots   []uint64 // 0 is an empty slot
	mask    uint64
	hasZero bool // the hash 0 is in the set
}

func (s *IDSet) add(h uint64) {
	if h == 0 {
		s.hasZero = true
		return
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return
		case 0:
			s.slots[i] = h
			return
		}
	}
}

// Has reports whether id is in the set.
func (s *IDSet) Has(id []byte) bool {
	h := maphash.Bytes(s.seed, id)
	if h == 0 {
		return s.hasZero
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// Orphans counts the orders whose customer is not in a set, and keeps the first.
type Orphans struct {
	Count int64
	Line  int64  // line (or row) of the first one; 0 when none
	ID    string // its order_id
}

// Merge adds o's orders to os, keeping the first one.
func (os *Orphans) Merge(o Orphans) {
	if o.Count == 0 {
		return
	}
	if os.Count == 0 || o.Line < os.Line {
		os.Line, os.ID = o.Line, o.ID
	}
	os.Count += o.Count
}
