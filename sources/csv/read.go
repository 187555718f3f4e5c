package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/kpireport/kpireport/internal/panics"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/internal/decode"
)

// chunk is a run of whole records of a CSV file, cut from one block.
type chunk struct {
	block    []byte // the block data is in; back to the reader's free list when parsed
	data     []byte
	line     int64 // line of data[0]
	rows     int   // at most this many records
	seq      int64 // position among the file's chunks
	overlong bool  // the reader found no end of a record in a block of maxBlock bytes
}

// reader reads a CSV file in large blocks and cuts them into chunks of whole records:
// at the last line feed outside quotes, which it finds by the parity of the quotes
// before it (every quote of valid CSV is part of a quoted field). It counts line
// feeds, so that each chunk knows its first line. A reader is used by one goroutine;
// the chunks it returns are parsed by others and given back with release.
type reader struct {
	r        io.Reader
	size     int // block size
	maxBlock int // a block grows up to this size to hold a long record
	free     chan []byte
	made     int // blocks allocated; at most cap(free)
	stop     <-chan struct{}

	buf     []byte // current block; pending data is buf[off:n]
	off, n  int
	eof     bool
	done    bool
	line    int64 // line of buf[off]
	seq     int64 // of the next chunk
	started bool  // the start of the file was checked for a byte order mark
	bom     bool  // the file starts with the UTF-8 byte order mark
}

var errStopped = errors.New("csv: reader stopped")

// newReader returns a reader of r in blocks of size bytes, with at most blocks
// blocks in use at a time (more only when a record needs a larger block).
func newReader(r io.Reader, size, maxBlock, blocks int) *reader {
	size = max(size, 16)
	return &reader{r: r, size: size, maxBlock: max(maxBlock, size), free: make(chan []byte, blocks), line: 1}
}

// get returns a free block of at least twice need bytes, waiting for one when all
// are in use.
func (r *reader) get(need int) ([]byte, error) {
	var b []byte
	select {
	case b = <-r.free:
	default:
		if r.made < cap(r.free) {
			r.made++
			b = make([]byte, r.size)
			break
		}
		select {
		case b = <-r.free:
		case <-r.stop:
			return nil, errStopped
		}
	}
	if len(b) < 2*need {
		b = make([]byte, max(r.size, 2*need))
	}
	return b, nil
}

// release gives the block of a parsed chunk back.
func (r *reader) release(c *chunk) {
	select {
	case r.free <- c.block:
	default:
	}
}

// fill reads until the block is full or the file ends.
func (r *reader) fill() error {
	if r.buf == nil {
		b, err := r.get(0)
		if err != nil {
			return err
		}
		r.buf = b
	}
	if r.eof || r.n == len(r.buf) {
		return nil
	}
	m, err := io.ReadFull(r.r, r.buf[r.n:])
	r.n += m
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		r.eof = true
		err = nil
	}
	if !r.started && (r.n >= 3 || r.eof) {
		r.started = true
		if bytes.HasPrefix(r.buf[:r.n], []byte("\xEF\xBB\xBF")) { // UTF-8 byte order mark
			r.off, r.bom = 3, true
		}
	}
	return err
}

// grow moves the pending data to a block twice as large.
func (r *reader) grow() {
	b := make([]byte, 2*len(r.buf))
	r.n = copy(b, r.buf[r.off:r.n])
	r.buf, r.off = b, 0
}

// header reads the first record, the column names.
func (r *reader) header(sp *splitter) ([]string, error) {
	for {
		if err := r.fill(); err != nil {
			return nil, err
		}
		data := r.buf[r.off:r.n]
		end := firstRecordEnd(data)
		if end < 0 && !r.eof {
			if len(r.buf) < r.maxBlock {
				r.grow()
				continue
			}
			return nil, &syntaxError{0, fmt.Sprintf("header line longer than %d MiB", r.maxBlock>>20)}
		}
		if end < 0 {
			end = len(data)
		}
		if end == 0 {
			return nil, &syntaxError{0, "no header line: the file is empty"}
		}
		_, lines, err := sp.split(data[:end])
		if err != nil {
			return nil, err
		}
		names := make([]string, len(sp.fields))
		for i, f := range sp.fields {
			names[i] = string(f)
		}
		r.off += end
		r.line += int64(lines)
		return names, nil
	}
}

// next returns the next chunk, or nil at the end of the file.
func (r *reader) next() (*chunk, error) {
	for !r.done {
		if err := r.fill(); err != nil {
			return nil, err
		}
		data := r.buf[r.off:r.n]
		if len(data) == 0 && r.eof {
			break
		}
		if r.eof {
			r.done = true
			return r.emit(data, false), nil
		}
		cut := lastRecordEnd(data)
		if cut < 0 {
			if len(r.buf) < r.maxBlock {
				r.grow()
				continue
			}
			r.done = true
			return r.emit(data, true), nil
		}
		c := r.emit(data[:cut], false)
		rest := data[cut:]
		b, err := r.get(len(rest))
		if err != nil {
			return nil, err
		}
		r.n = copy(b, rest)
		r.buf, r.off = b, 0
		return c, nil
	}
	return nil, nil
}

func (r *reader) emit(data []byte, overlong bool) *chunk {
	lines := bytes.Count(data, []byte{'\n'})
	c := &chunk{block: r.buf, data: data, line: r.line, rows: lines, seq: r.seq, overlong: overlong}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		c.rows++
	}
	r.line += int64(lines)
	r.seq++
	return c
}

// sink takes the records of the chunks one worker parses.
type sink interface {
	begin(rows int) // a chunk of at most rows records starts
	record(line int64, fields [][]byte) error
	end()    // the chunk ended
	finish() // the worker stops
}

// parallel parses the records after the header of r with one goroutine per sink,
// each taking whole chunks. On the first error it stops reading, lets the workers
// finish the chunks before the bad one and returns the error of the earliest chunk
// that failed: the first bad row of the file. It returns ctx's error when ctx is
// cancelled.
//
// With bad not nil, a bad row does not stop the reading: bad collects the first ones
// and counts them all, and parallel returns them as a *sources.RowErrors.
func parallel(ctx context.Context, r *reader, t *decode.Table, delim byte, sinks []sink, bad *decode.BadRows) error {
	var (
		work     = make(chan *chunk, len(sinks))
		stop     = make(chan struct{})
		stopOnce sync.Once
		mu       sync.Mutex
		failSeq  atomic.Int64 // seq of the earliest chunk that failed
		failErr  error
		wg       sync.WaitGroup
	)
	failSeq.Store(math.MaxInt64)
	fail := func(seq int64, err error) {
		mu.Lock()
		if seq < failSeq.Load() {
			failSeq.Store(seq)
			failErr = err
		}
		mu.Unlock()
		stopOnce.Do(func() { close(stop) })
	}
	for _, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic in a worker fails the read, as the first error, instead of
			// the process; the reader and the other workers stop.
			defer func() {
				if v := recover(); v != nil {
					fail(-1, panics.New(v))
				}
			}()
			defer s.finish()
			sp := newSplitter(delim)
			for c := range work {
				if c.seq < failSeq.Load() && ctx.Err() == nil {
					if err := parseChunk(ctx, c, sp, t, s, &failSeq, bad); err != nil {
						fail(c.seq, err)
					}
				}
				r.release(c)
			}
		}()
	}

	r.stop = stop
	var readErr error
	go func() {
		select {
		case <-ctx.Done():
			stopOnce.Do(func() { close(stop) })
		case <-stop:
		}
	}()
read:
	for {
		c, err := r.next()
		if err != nil || c == nil {
			readErr = err
			break
		}
		select {
		case work <- c:
		case <-stop:
			break read
		}
	}
	close(work)
	wg.Wait()
	stopOnce.Do(func() { close(stop) })

	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failErr != nil:
		return failErr
	case errors.Is(readErr, errStopped):
		return nil
	case readErr != nil:
		return readErr
	}
	return bad.Err(t.Where)
}

// parseChunk splits the records of c and gives them to s. It gives up early, without
// an error, when an earlier chunk failed or ctx is cancelled.
func parseChunk(ctx context.Context, c *chunk, sp *splitter, t *decode.Table, s sink, failSeq *atomic.Int64, bad *decode.BadRows) (err error) {
	defer panics.Recover(&err) // the chunk's error, so that the first bad row still wins
	s.begin(c.rows)
	defer s.end()
	data, line, want := c.data, c.line, t.Fields()
	start := line
	for k := 1; len(data) > 0; k++ {
		if k%1024 == 0 && (failSeq.Load() < c.seq || ctx.Err() != nil) {
			return nil
		}
		start = line
		n, lines, err := sp.split(data)
		if err != nil {
			// The rest of the chunk cannot be split.
			return collectBad(c, bad, syntaxRowError(t, start, err))
		}
		data, line = data[n:], line+int64(lines)
		f := sp.fields
		if len(f[0]) == 0 && empty(f) {
			continue // a blank line, or a row of empty fields (Excel's ";;;;")
		}
		if len(f) != want {
			err = t.FieldCount(start, len(f))
		} else {
			err = s.record(start, f)
		}
		if err != nil {
			if bad == nil {
				return err
			}
			bad.Add(c.seq, start, err)
		}
	}
	if c.overlong {
		return collectBad(c, bad, syntaxRowError(t, start, &syntaxError{-1, fmt.Sprintf("record longer than %d MiB, or a quoted field that is not closed", len(c.block)>>20)}))
	}
	return nil
}

// collectBad returns err, or adds it to bad when bad collects the bad rows.
func collectBad(c *chunk, bad *decode.BadRows, err error) error {
	if bad == nil {
		return err
	}
	var re *sources.RowError
	line := c.line
	if errors.As(err, &re) {
		line = re.Line
	}
	bad.Add(c.seq, line, err)
	return nil
}

// syntaxRowError returns the *sources.RowError of a syntaxError on line.
func syntaxRowError(t *decode.Table, line int64, err error) error {
	e := &sources.RowError{File: t.Where, Line: line, Err: err}
	var se *syntaxError
	if errors.As(err, &se) && se.field >= 0 && se.field < len(t.Names) {
		e.Column = t.Names[se.field]
	}
	return e
}

// empty reports whether every field is empty.
func empty(fields [][]byte) bool {
	for _, f := range fields {
		if len(f) != 0 {
			return false
		}
	}
	return true
}
