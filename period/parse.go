package period

import (
	"fmt"
	"strings"
	"time"
)

// DayParser turns date and timestamp values into local days of one time zone, as the
// spec says: a date is that local day; a timestamp with Z or an offset is converted to
// the zone first; a timestamp without an offset is local time. It caches the zone's
// current offset, so it is not safe for concurrent use: give each goroutine its own.
type DayParser struct {
	loc        *time.Location
	layout     string // a Go layout read when a value is not ISO; "" for none
	dateLayout string // layout's date part, when it has a time part
	lastText   []byte // the last value read with layout, and its day
	lastDay    Date
	zoneStart  int64 // unix seconds; the cached offset holds in [zoneStart, zoneEnd)
	zoneEnd    int64
	zoneOffset int64
}

// NewDayParser returns a parser for local days in loc.
func NewDayParser(loc *time.Location) *DayParser {
	return &DayParser{loc: loc, zoneStart: 1, zoneEnd: 0}
}

// SetLayout makes p read, besides the ISO form, values in the Go time layout
// layout ("02-01-2006", "2-1-2006 15:04"), for day-first exports. A value without an
// offset is a local time of p's zone. A value in the ISO form is still read as ISO,
// and a date alone in the layout's part before its first space ("2-1-2006"), as
// exports write date columns next to timestamp columns.
func (p *DayParser) SetLayout(layout string) {
	p.layout = layout
	p.dateLayout = ""
	if i := strings.IndexByte(layout, ' '); i > 0 {
		p.dateLayout = layout[:i]
	}
}

// Layout returns the layout SetLayout set, or "".
func (p *DayParser) Layout() string { return p.layout }

// Location returns the parser's zone.
func (p *DayParser) Location() *time.Location { return p.loc }

// Parse parses YYYY-MM-DD, or YYYY-MM-DD followed by T or a space and
// hh:mm[:ss[.fraction]] with an optional Z or ±hh:mm, and returns its local day.
// It does not allocate unless the value is bad.
func (p *DayParser) Parse(b []byte) (Date, error) {
	n := len(b)
	if n < 10 || b[4] != '-' || b[7] != '-' {
		if p.layout != "" {
			return p.parseLayout(b)
		}
		return 0, badValue(b)
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, time.Month(m)) {
		return 0, badValue(b)
	}
	day := FromYMD(y, time.Month(m), d)
	if n == 10 {
		return day, nil
	}
	if (b[10] != 'T' && b[10] != ' ') || n < 16 || b[13] != ':' {
		return 0, badValue(b)
	}
	hh, ok1 := digits(b[11:13])
	mm, ok2 := digits(b[14:16])
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return 0, badValue(b)
	}
	i, ss := 16, 0
	if i < n && b[i] == ':' {
		if n < i+3 {
			return 0, badValue(b)
		}
		var ok bool
		if ss, ok = digits(b[i+1 : i+3]); !ok || ss > 59 {
			return 0, badValue(b)
		}
		i += 3
		if i < n && b[i] == '.' {
			j := i + 1
			for j < n && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			if j == i+1 {
				return 0, badValue(b)
			}
			i = j
		}
	}
	if i == n {
		return day, nil // local time without offset
	}
	var offset int64
	switch b[i] {
	case 'Z', 'z':
		if i+1 != n {
			return 0, badValue(b)
		}
	case '+', '-':
		if n != i+6 || b[i+3] != ':' {
			return 0, badValue(b)
		}
		oh, ok1 := digits(b[i+1 : i+3])
		om, ok2 := digits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, badValue(b)
		}
		offset = int64(oh*3600 + om*60)
		if b[i] == '-' {
			offset = -offset
		}
	default:
		return 0, badValue(b)
	}
	unix := int64(day)*86400 + int64(hh*3600+mm*60+ss) - offset
	return p.localDay(unix), nil
}

// parseLayout reads b in p's layout. Exports repeat dates row after row, so the last
// value's day is kept.
func (p *DayParser) parseLayout(b []byte) (Date, error) {
	if p.lastText != nil && string(b) == string(p.lastText) {
		return p.lastDay, nil
	}
	t, err := time.ParseInLocation(p.layout, string(b), p.loc)
	if err != nil && p.dateLayout != "" {
		t, err = time.ParseInLocation(p.dateLayout, string(b), p.loc)
	}
	if err != nil {
		if len(b) > 40 {
			b = append(b[:37:37], "..."...)
		}
		return 0, fmt.Errorf("%w: %q (want %s as source.date_format says, or YYYY-MM-DD)", ErrValue, b, p.layout)
	}
	y, m, d := t.In(p.loc).Date()
	p.lastText = append(p.lastText[:0], b...)
	p.lastDay = FromYMD(y, m, d)
	return p.lastDay, nil
}

// ParseString is Parse for a string.
func (p *DayParser) ParseString(s string) (Date, error) { return p.Parse([]byte(s)) }

// Instant returns the local day of the instant t.
func (p *DayParser) Instant(t time.Time) Date { return p.localDay(t.Unix()) }

// localDay returns the local day of the instant unix (seconds since the epoch).
func (p *DayParser) localDay(unix int64) Date {
	if unix < p.zoneStart || unix >= p.zoneEnd {
		t := time.Unix(unix, 0).In(p.loc)
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		p.zoneOffset = int64(off)
		p.zoneStart, p.zoneEnd = -1<<62, 1<<62
		if !start.IsZero() {
			p.zoneStart = start.Unix()
		}
		if !end.IsZero() {
			p.zoneEnd = end.Unix()
		}
	}
	local := unix + p.zoneOffset
	d := local / 86400
	if local < 0 && local%86400 != 0 {
		d--
	}
	return Date(d)
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func badValue(b []byte) error {
	if len(b) > 40 {
		b = append(b[:37:37], "..."...)
	}
	return fmt.Errorf("%w: %q (want YYYY-MM-DD, optionally with T or a space and hh:mm[:ss[.fraction]] and Z or ±hh:mm)", ErrValue, b)
}
