package demo

import (
	"strconv"
	"time"
)

// row is one generated record: the bytes of all fields back to back, with
// the end offset of each. An empty field means "not set". Rows are reused, so
// writers must copy what they keep.
type row struct {
	buf  []byte
	ends []int
}

func (r *row) reset() {
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]
}

func (r *row) len() int { return len(r.ends) }

func (r *row) field(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.buf[start:r.ends[i]]
}

func (r *row) next() { r.ends = append(r.ends, len(r.buf)) }

func (r *row) text(s string) {
	r.buf = append(r.buf, s...)
	r.next()
}

func (r *row) empty() { r.next() }

func (r *row) bool(b bool) {
	if b {
		r.text("true")
	} else {
		r.text("false")
	}
}

// id writes prefix followed by n zero-padded to width digits.
func (r *row) id(prefix string, width, n int) {
	r.buf = append(r.buf, prefix...)
	r.buf = appendPadded(r.buf, n, width)
	r.next()
}

// money writes cents as a decimal with two fraction digits: -1234.05.
func (r *row) money(cents int64) {
	if cents < 0 {
		r.buf = append(r.buf, '-')
		cents = -cents
	}
	r.buf = strconv.AppendInt(r.buf, cents/100, 10)
	r.buf = append(r.buf, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	r.next()
}

// date writes a date-only value: 2026-10-31.
func (r *row) date(d *day) {
	r.buf = append(r.buf, d.date[:]...)
	r.next()
}

// localTime writes a local timestamp without offset: 2026-10-31 14:23:05.
func (r *row) localTime(d *day, sec int) {
	r.buf = append(r.buf, d.date[:]...)
	r.buf = append(r.buf, ' ')
	r.buf = appendClock(r.buf, sec)
	r.next()
}

// utcTime writes the instant of local time sec on d as a UTC timestamp:
// 2026-10-31T22:40:00Z.
func (r *row) utcTime(d *day, sec int, loc *time.Location) {
	t := time.Date(d.year, d.month, d.dom, sec/3600, sec/60%60, sec%60, 0, loc).UTC()
	r.buf = t.AppendFormat(r.buf, "2006-01-02T15:04:05Z")
	r.next()
}

func appendClock(b []byte, sec int) []byte {
	h, m, s := sec/3600, sec/60%60, sec%60
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	digits := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(digits); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// idWidth is the number of digits ids of a table with n rows get: at least
// least, more when n needs them.
func idWidth(n, least int) int {
	return max(least, len(strconv.Itoa(n)))
}
