package csv

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/kpireport/kpireport/sources"
)

// splitter splits CSV records (RFC 4180: fields in double quotes may hold the
// delimiter, line breaks and "" for a quote) into fields without allocating: the
// fields of a record without quotes point into the input; quoted fields are unquoted
// into a scratch buffer that the next record reuses.
type splitter struct {
	delim   byte
	fields  [][]byte
	scratch []byte
	quoted  []span
}

// span is a quoted field: fields[field] = scratch[start:end].
type span struct{ field, start, end int }

// syntaxError is a record that is not valid CSV.
type syntaxError struct {
	field int // index of the bad field
	msg   string
}

func (e *syntaxError) Error() string { return e.msg }
func (e *syntaxError) Unwrap() error { return sources.ErrSyntax }

func newSplitter(delim byte) *splitter {
	return &splitter{delim: delim, fields: make([][]byte, 0, 16)}
}

// split splits the record at the start of data into s.fields, valid until the next
// call. It returns the number of bytes the record and its line ending take and the
// number of line feeds among them. A record ends at a line feed outside quotes (a CR
// before it is dropped) or at the end of data.
func (s *splitter) split(data []byte) (n, lines int, err error) {
	s.fields = s.fields[:0]
	line, n := data, len(data)
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line, n, lines = data[:i], i+1, 1
	}
	if bytes.IndexByte(line, '"') >= 0 {
		return s.splitQuoted(data)
	}
	if k := len(line) - 1; k >= 0 && line[k] == '\r' {
		line = line[:k]
	}
	s.fields = splitLine(s.fields, line, s.delim)
	return n, lines, nil
}

// Byte masks for finding a byte in 8 bytes at once.
const (
	ones  = 0x0101010101010101
	low7s = 0x7F7F7F7F7F7F7F7F
)

// splitLine appends the fields of line, which has no quotes, to fields. It looks at
// eight bytes at a time: the delimiter bytes of a word are the zero bytes of the word
// XOR the delimiter repeated, found exactly (no borrow between bytes) by the high bit
// of ^(((x & 0x7F…) + 0x7F…) | x | 0x7F…).
func splitLine(fields [][]byte, line []byte, delim byte) [][]byte {
	rep := uint64(delim) * ones
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ rep
		m := ^(((x & low7s) + low7s) | x | low7s)
		for m != 0 {
			j := i + bits.TrailingZeros64(m)>>3
			fields = append(fields, line[start:j])
			start = j + 1
			m &= m - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == delim {
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
	return append(fields, line[start:])
}

// splitQuoted is split for a record with quotes.
func (s *splitter) splitQuoted(data []byte) (n, lines int, err error) {
	s.scratch = s.scratch[:0]
	s.quoted = s.quoted[:0]
	i := 0
	for {
		if i < len(data) && data[i] == '"' {
			i++
			start := len(s.scratch)
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					return 0, 0, &syntaxError{len(s.fields), "quoted field is not closed"}
				}
				seg := data[i : i+j]
				lines += bytes.Count(seg, []byte{'\n'})
				s.scratch = appendField(s.scratch, seg)
				i += j + 1
				if i < len(data) && data[i] == '"' {
					s.scratch = append(s.scratch, '"')
					i++
					continue
				}
				break
			}
			s.quoted = append(s.quoted, span{len(s.fields), start, len(s.scratch)})
			s.fields = append(s.fields, nil)
			switch {
			case i == len(data):
				return s.finish(i, lines)
			case data[i] == s.delim:
				i++
				continue
			case data[i] == '\n':
				return s.finish(i+1, lines+1)
			case data[i] == '\r' && i+1 == len(data):
				return s.finish(i+1, lines)
			case data[i] == '\r' && data[i+1] == '\n':
				return s.finish(i+2, lines+1)
			}
			return 0, 0, &syntaxError{len(s.fields) - 1, `unexpected text after the closing quote of a quoted field`}
		}
		j := i
		for j < len(data) && data[j] != s.delim && data[j] != '\n' {
			if data[j] == '"' {
				return 0, 0, &syntaxError{len(s.fields), `a quote in an unquoted field (quote the field and write "" for the quote)`}
			}
			j++
		}
		f := data[i:j]
		if j < len(data) && data[j] == s.delim {
			s.fields = append(s.fields, f)
			i = j + 1
			continue
		}
		if k := len(f) - 1; k >= 0 && f[k] == '\r' {
			f = f[:k]
		}
		s.fields = append(s.fields, f)
		if j < len(data) {
			return s.finish(j+1, lines+1)
		}
		return s.finish(j, lines)
	}
}

// appendField appends the text of a quoted field to b, with CRLF line breaks turned
// into LF (as encoding/csv does), so that a file means the same with either line end.
func appendField(b, seg []byte) []byte {
	for {
		i := bytes.Index(seg, []byte("\r\n"))
		if i < 0 {
			return append(b, seg...)
		}
		b = append(b, seg[:i]...)
		seg = seg[i+1:]
	}
}

// finish points the quoted fields into scratch, now that it no longer grows.
func (s *splitter) finish(n, lines int) (int, int, error) {
	for _, q := range s.quoted {
		s.fields[q.field] = s.scratch[q.start:q.end:q.end]
	}
	return n, lines, nil
}

// lastRecordEnd returns the index after the last line feed of data that is outside
// quotes, or -1. data must start at the start of a record.
func lastRecordEnd(data []byte) int {
	q := bytes.Count(data, []byte{'"'})
	if q == 0 {
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			return i + 1
		}
		return -1
	}
	end := len(data)
	for {
		i := bytes.LastIndexByte(data[:end], '\n')
		if i < 0 {
			return -1
		}
		q -= bytes.Count(data[i+1:end], []byte{'"'})
		if q%2 == 0 {
			return i + 1
		}
		end = i
	}
}

// firstRecordEnd returns the index after the first line feed of data that is outside
// quotes, or -1. data must start at the start of a record.
func firstRecordEnd(data []byte) int {
	q, start := 0, 0
	for {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return -1
		}
		i += start
		q += bytes.Count(data[start:i], []byte{'"'})
		if q%2 == 0 {
			return i + 1
		}
		start = i + 1
	}
}
