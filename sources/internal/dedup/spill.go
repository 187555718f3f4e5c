package dedup

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxRuns is the number of runs a spill file holds before they are merged into one,
// so that the final merge reads from few runs, with a small buffer each.
const maxRuns = 32

// readBuf is the bytes a cursor reads from a spill file at a time.
const readBuf = 8 << 10

// spillFile is a temporary file of sorted runs of hashes, each 8 bytes little-endian.
type spillFile struct {
	f    *os.File
	w    *bufio.Writer
	size int64
	runs []spilledRun
}

// spilledRun is where a run's partitions are in the file: partition p is the bytes
// [r[p], r[p+1]).
type spilledRun [parts + 1]int64

func newSpillFile() (*spillFile, error) {
	f, err := os.CreateTemp("", "kpireport-dedup-*")
	if err != nil {
		return nil, fmt.Errorf("spill id hashes: %w", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// write appends the sorted partitions buf[bounds[p]:bounds[p+1]] as one run.
func (d *spillFile) write(buf []uint64, bounds *[parts + 1]int) error {
	var r spilledRun
	for p := range parts {
		r[p] = d.size + 8*int64(bounds[p])
	}
	r[parts] = d.size + 8*int64(bounds[parts])
	for h := buf[:bounds[parts]]; len(h) > 0; {
		if d.w.Available() < 8 {
			if err := d.w.Flush(); err != nil {
				return fmt.Errorf("spill id hashes to %s: %w", d.f.Name(), err)
			}
		}
		b := d.w.AvailableBuffer()
		n := min(len(h), cap(b)/8)
		for _, x := range h[:n] {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
		h = h[n:]
		if _, err := d.w.Write(b); err != nil {
			return fmt.Errorf("spill id hashes to %s: %w", d.f.Name(), err)
		}
	}
	if err := d.w.Flush(); err != nil {
		return fmt.Errorf("spill id hashes to %s: %w", d.f.Name(), err)
	}
	d.size = r[parts]
	d.runs = append(d.runs, r)
	return nil
}

// compact merges the runs of d into one, in a new file, and removes d.
func (d *spillFile) compact() (*spillFile, error) {
	out, err := newSpillFile()
	if err != nil {
		return d, err
	}
	m := newMerger(d)
	var r spilledRun
	for p := range parts {
		r[p] = out.size
		err = m.merge(nil, p, func(x uint64) error {
			if _, err := out.w.Write(binary.LittleEndian.AppendUint64(out.w.AvailableBuffer(), x)); err != nil {
				return fmt.Errorf("merge id hashes into %s: %w", out.f.Name(), err)
			}
			out.size += 8
			return nil
		})
		if err != nil {
			return d, errors.Join(err, out.remove())
		}
	}
	r[parts] = out.size
	if err := out.w.Flush(); err != nil {
		return d, errors.Join(fmt.Errorf("merge id hashes into %s: %w", out.f.Name(), err), out.remove())
	}
	out.runs = []spilledRun{r}
	if err := d.remove(); err != nil {
		return out, err
	}
	return out, nil
}

// remove closes and removes the file; d may be nil.
func (d *spillFile) remove() error {
	if d == nil {
		return nil
	}
	err := d.f.Close()
	if rerr := os.Remove(d.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("remove spilled id hashes: %w", err)
	}
	return nil
}

// merger merges, one partition at a time, the runs of a spill file and the runs in
// memory, reusing its buffers from one partition to the next. One per goroutine.
type merger struct {
	disk   *spillFile
	mem    []uint64 // the partition's hashes in memory, sorted
	sorter sorter
	curs   []cursor
	heap   []head
}

// head is the next hash of cursor c, in the merger's heap.
type head struct {
	h uint64
	c int
}

func newMerger(disk *spillFile) *merger {
	m := &merger{disk: disk}
	if disk != nil {
		m.curs = make([]cursor, len(disk.runs)+1)
		for i := range disk.runs {
			m.curs[i].store = make([]byte, readBuf)
		}
	} else {
		m.curs = make([]cursor, 1)
	}
	return m
}

// repeats returns the hashes of partition p that occur more than once.
func (m *merger) repeats(runs []run, p int) ([]uint64, error) {
	var rep []uint64
	prev, have := uint64(0), false
	err := m.merge(runs, p, func(x uint64) error {
		if have && x == prev && (len(rep) == 0 || rep[len(rep)-1] != x) {
			rep = append(rep, x)
		}
		prev, have = x, true
		return nil
	})
	return rep, err
}

// merge calls emit with the hashes of partition p, of the spilled runs and runs, in
// ascending order.
func (m *merger) merge(runs []run, p int, emit func(uint64) error) error {
	m.mem = m.mem[:0]
	for i := range runs {
		m.mem = append(m.mem, runs[i].part(p)...)
	}
	m.sorter.sort(m.mem)
	m.heap = m.heap[:0]
	mem := &m.curs[len(m.curs)-1]
	*mem = cursor{mem: m.mem}
	sources := m.curs[:len(m.curs)-1]
	for i := range sources {
		r := &m.disk.runs[i]
		c := &sources[i]
		*c = cursor{f: m.disk.f, pos: r[p], end: r[p+1], store: c.store}
	}
	for i := range m.curs {
		c := &m.curs[i]
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			m.heap = append(m.heap, head{c.head, i})
		}
	}
	h := m.heap
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(h, i)
	}
	for len(h) > 0 {
		if err := emit(h[0].h); err != nil {
			return err
		}
		c := &m.curs[h[0].c]
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h[0].h = c.head
		} else {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(h, 0)
	}
	return nil
}

// down restores the min-heap order of h below i.
func down(h []head, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && h[r].h < h[l].h {
			j = r
		}
		if h[i].h <= h[j].h {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// cursor reads a sorted run: hashes in memory, or the bytes [pos, end) of f.
type cursor struct {
	head  uint64
	mem   []uint64
	f     *os.File
	pos   int64
	end   int64
	buf   []byte // read, not yet taken
	store []byte // what buf is read into
}

// next moves head to the next hash; it reports false at the end of the run.
func (c *cursor) next() (bool, error) {
	if c.f == nil {
		if len(c.mem) == 0 {
			return false, nil
		}
		c.head, c.mem = c.mem[0], c.mem[1:]
		return true, nil
	}
	if len(c.buf) == 0 {
		if c.pos >= c.end {
			return false, nil
		}
		b := c.store[:min(c.end-c.pos, int64(len(c.store)))]
		if n, err := c.f.ReadAt(b, c.pos); n < len(b) || (err != nil && err != io.EOF) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return false, fmt.Errorf("read spilled id hashes from %s: %w", c.f.Name(), err)
		}
		c.pos += int64(len(b))
		c.buf = b
	}
	c.head, c.buf = binary.LittleEndian.Uint64(c.buf), c.buf[8:]
	return true, nil
}
