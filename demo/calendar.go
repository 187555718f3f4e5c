package demo

import (
	"math/bits"
	"time"
)

// calendar is the grid of local days the data set covers: from the first day
// of the first month up to and including End's day.
type calendar struct {
	loc    *time.Location
	days   []day
	months []month
	// orderWeight is the relative business volume of each day: season × growth
	// × weekday. cumOrderWeight[i] is the sum of orderWeight[0..i].
	orderWeight    []int64
	cumOrderWeight []int64
}

// day is one local calendar day.
type day struct {
	year    int
	month   time.Month
	dom     int // day of the month, 1-based
	weekday time.Weekday
	mi      int // index into calendar.months
	date    [10]byte
	// zoneChange says the UTC offset changes during the day (DST);
	// offStart and offEnd are the offsets at its start and at its end.
	zoneChange       bool
	offStart, offEnd int
}

// month is one calendar month of the grid; days[first:end] belong to it.
type month struct {
	year       int
	month      time.Month
	first, end int
	length     int // days in the whole calendar month, also past End
	// fullWeight is the order weight of the whole month, also past End.
	fullWeight int64
}

// seasonPct is the demand per calendar month in percent: a summer dip and a
// December peak.
var seasonPct = [13]int64{0, 88, 92, 100, 100, 103, 96, 80, 78, 101, 106, 118, 135}

// weekdayTenths is the order volume per weekday in tenths of a working day.
var weekdayTenths = [7]int64{time.Sunday: 3, time.Monday: 10, time.Tuesday: 10, time.Wednesday: 10, time.Thursday: 10, time.Friday: 10, time.Saturday: 5}

// growthPct is the business size in month mi (0-based) in percent of the first month.
func growthPct(mi int) int64 { return 100 + 2*int64(mi) }

func dayWeight(t time.Time, mi int) int64 {
	return seasonPct[t.Month()] * growthPct(mi) * weekdayTenths[t.Weekday()]
}

func newCalendar(end time.Time, loc *time.Location) *calendar {
	ey, em, ed := end.In(loc).Date()
	last := time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC)
	start := time.Date(ey, em-(Months-1), 1, 0, 0, 0, 0, time.UTC)
	c := &calendar{loc: loc}
	for t := start; !t.After(last); t = t.AddDate(0, 0, 1) {
		if t.Day() == 1 {
			length := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
			m := month{year: t.Year(), month: t.Month(), first: len(c.days), length: length}
			for d := range length {
				m.fullWeight += dayWeight(t.AddDate(0, 0, d), len(c.months))
			}
			c.months = append(c.months, m)
		}
		mi := len(c.months) - 1
		d := day{year: t.Year(), month: t.Month(), dom: t.Day(), weekday: t.Weekday(), mi: mi}
		t.AppendFormat(d.date[:0], time.DateOnly)
		_, d.offStart = time.Date(d.year, d.month, d.dom, 0, 0, 0, 0, loc).Zone()
		_, d.offEnd = time.Date(d.year, d.month, d.dom+1, 0, 0, 0, 0, loc).Zone()
		d.zoneChange = d.offStart != d.offEnd
		c.days = append(c.days, d)
		c.months[mi].end = len(c.days)
		w := dayWeight(t, mi)
		c.orderWeight = append(c.orderWeight, w)
		c.cumOrderWeight = append(c.cumOrderWeight, c.totalWeight()+w)
	}
	return c
}

func (c *calendar) totalWeight() int64 {
	if len(c.cumOrderWeight) == 0 {
		return 0
	}
	return c.cumOrderWeight[len(c.cumOrderWeight)-1]
}

// lastDay reports whether day i is the last day of its calendar month.
func (c *calendar) lastDay(i int) bool {
	d := &c.days[i]
	return d.dom == c.months[d.mi].length
}

// endsOnMonthEnd reports whether the last month of the grid is complete.
func (c *calendar) endsOnMonthEnd() bool { return c.lastDay(len(c.days) - 1) }

// share returns n × part / total rounded down, without overflow as long as
// the result fits in an int64.
func share(n, part, total int64) int64 {
	if total <= 0 || n <= 0 || part <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(n), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(total))
	return int64(q)
}

// localSecond returns sec, a second of local day d, or, when that wall-clock
// time is skipped or repeated by a DST change, the same minute and second of
// noon, so that every local timestamp written names exactly one instant.
func (c *calendar) localSecond(d *day, sec int) int {
	if !d.zoneChange {
		return sec
	}
	wall := time.Date(d.year, d.month, d.dom, 0, 0, 0, 0, time.UTC).Unix() + int64(sec)
	n := 0
	for _, off := range [2]int{d.offStart, d.offEnd} {
		if _, o := time.Unix(wall-int64(off), 0).In(c.loc).Zone(); o == off {
			n++
		}
	}
	if n == 1 {
		return sec
	}
	return 12*3600 + sec%3600
}

// allocation spreads n items over days in proportion to cumulative weights:
// at(i) is how many of them fall on days 0..i, and at(last) is n.
type allocation struct {
	n   int64
	cum []int64
}

func (a allocation) at(i int) int64 {
	return share(a.n, a.cum[i], a.cum[len(a.cum)-1])
}

// count returns how many items fall on day i.
func (a allocation) count(i int) int {
	if i == 0 {
		return int(a.at(0))
	}
	return int(a.at(i) - a.at(i-1))
}

// cumulative returns the running sums of w.
func cumulative(w []int64) []int64 {
	out := make([]int64, len(w))
	var s int64
	for i, v := range w {
		s += v
		out[i] = s
	}
	return out
}
