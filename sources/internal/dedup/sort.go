package dedup

import (
	"math/bits"
	"slices"
)

// sorter sorts the hashes of one partition: hashes are spread evenly, so a counting
// sort by the bits below the partition's puts a few in each bucket, which insertion
// sort then orders. A large bucket (many equal hashes, from a repeated id) is sorted
// with slices.Sort instead. It keeps its buffers for the next partition.
type sorter struct {
	tmp   []uint64
	count []int32
}

const smallBucket = 32

func (s *sorter) sort(h []uint64) {
	n := len(h)
	if n <= smallBucket {
		insertionSort(h)
		return
	}
	b := bits.Len(uint(n / 4)) // about 4 hashes a bucket
	b = min(b, 64-partBits)
	shift := 64 - partBits - b
	mask := uint64(1)<<b - 1
	if cap(s.count) < 1<<b+1 {
		s.count = make([]int32, 1<<b+1)
	}
	count := s.count[:1<<b+1]
	clear(count)
	for _, x := range h {
		count[(x>>shift)&mask+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	if cap(s.tmp) < n {
		s.tmp = make([]uint64, n)
	}
	tmp := s.tmp[:n]
	for _, x := range h {
		k := (x >> shift) & mask
		tmp[count[k]] = x
		count[k]++
	}
	// count[k] is now the end of bucket k.
	start := int32(0)
	for _, end := range count[:1<<b] {
		if end-start > smallBucket {
			slices.Sort(tmp[start:end])
		} else {
			insertionSort(tmp[start:end])
		}
		start = end
	}
	copy(h, tmp)
}

func insertionSort(h []uint64) {
	for i := 1; i < len(h); i++ {
		x := h[i]
		j := i
		for ; j > 0 && h[j-1] > x; j-- {
			h[j] = h[j-1]
		}
		h[j] = x
	}
}
