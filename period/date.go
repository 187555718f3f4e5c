// Package period holds the calendar of kpireport: civil dates, the month, ISO week and
// quarter periods a report covers, and the conversion of date and timestamp values to
// local days in the report's time zone. It does no I/O.
package period

import (
	"fmt"
	"time"
)

// Date is a civil (calendar) date without a time zone, counted in days since 1970-01-01.
// All period boundaries are local midnights, so a period is a range of Dates.
type Date int32

// NoDate marks an empty optional date. It sorts after every real date, so "churned_date
// empty or churned_date >= x" is simply "churned >= x".
const NoDate Date = 1<<31 - 1

// FromYMD returns the date of year y, month m, day d. It does not normalise: d must be
// a valid day of that month.
func FromYMD(y int, m time.Month, d int) Date {
	// Howard Hinnant's days_from_civil.
	yy := int64(y)
	mm := int64(m)
	if mm <= 2 {
		yy--
	}
	era := yy
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := yy - era*400
	mp := (mm + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

// YMD returns the year, month and day of d.
func (d Date) YMD() (int, time.Month, int) {
	z := int64(d) + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(day)
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return FromYMD(y, m, d)
}

// In returns the first instant of d in loc: its local midnight or, in a zone whose
// clocks jump over midnight on d (America/Asuncion, America/Santiago and others
// spring forward at 00:00), the instant of the jump.
func (d Date) In(loc *time.Location) time.Time {
	y, m, day := d.YMD()
	t := time.Date(y, m, day, 0, 0, 0, 0, loc)
	if DateOf(t) == d {
		return t
	}
	// time.Date moved the missing midnight back into the day before; d starts
	// where that day's zone offset ends.
	_, end := t.ZoneBounds()
	return end
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	w := (int64(d) + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// AddMonths returns the same day n months later (or earlier for negative n); where that
// day does not exist, the last day of that month.
func (d Date) AddMonths(n int) Date {
	y, m, day := d.YMD()
	total := y*12 + int(m) - 1 + n
	ny, nm := total/12, time.Month(total%12+1) // years before 1 AD are out of scope
	if last := DaysIn(ny, nm); day > last {
		day = last
	}
	return FromYMD(ny, nm, day)
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	y, m, day := d.YMD()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), day)
}

// DaysIn returns the number of days of month m in year y.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Range is the half-open range of days [Start, End).
type Range struct {
	Start, End Date
}

// Contains reports whether d falls in r.
func (r Range) Contains(d Date) bool { return r.Start <= d && d < r.End }

// String formats r as "[start, end)".
func (r Range) String() string { return "[" + r.Start.String() + ", " + r.End.String() + ")" }
