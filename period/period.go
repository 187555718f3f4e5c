package period

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the length of a reporting period.
type Kind int

// The period kinds a job can report on.
const (
	Month Kind = iota + 1
	Week
	Quarter
)

// ParseKind parses "month", "week" or "quarter".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "month":
		return Month, nil
	case "week":
		return Week, nil
	case "quarter":
		return Quarter, nil
	}
	return 0, fmt.Errorf("%w: %q (want month, week or quarter)", ErrKind, s)
}

// String returns "month", "week" or "quarter".
func (k Kind) String() string {
	switch k {
	case Month:
		return "month"
	case Week:
		return "week"
	case Quarter:
		return "quarter"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Period is one month, ISO 8601 week or quarter. N is the month (1–12), the ISO week
// (1–53) or the quarter (1–4) of Year (for weeks, the ISO week-numbering year).
type Period struct {
	Kind Kind
	Year int
	N    int
}

// Of returns the period of kind k that contains d.
func Of(k Kind, d Date) Period {
	y, m, _ := d.YMD()
	switch k {
	case Week:
		wy, w := d.In(time.UTC).ISOWeek()
		return Period{Kind: Week, Year: wy, N: w}
	case Quarter:
		return Period{Kind: Quarter, Year: y, N: (int(m)-1)/3 + 1}
	default:
		return Period{Kind: Month, Year: y, N: int(m)}
	}
}

// Start returns the first day of p.
func (p Period) Start() Date {
	switch p.Kind {
	case Week:
		return isoWeek1Monday(p.Year) + Date(7*(p.N-1))
	case Quarter:
		return FromYMD(p.Year, time.Month(3*(p.N-1)+1), 1)
	default:
		return FromYMD(p.Year, time.Month(p.N), 1)
	}
}

// End returns the first day after p: p is [Start, End).
func (p Period) End() Date { return p.Next().Start() }

// Range returns [Start, End).
func (p Period) Range() Range { return Range{Start: p.Start(), End: p.End()} }

// Bounds returns the local midnights that start and end p in loc.
func (p Period) Bounds(loc *time.Location) (start, end time.Time) {
	return p.Start().In(loc), p.End().In(loc)
}

// Add returns the period n periods after p (before it for negative n).
func (p Period) Add(n int) Period {
	switch p.Kind {
	case Week:
		return Of(Week, p.Start()+Date(7*n))
	case Quarter:
		q := p.Year*4 + p.N - 1 + n
		return Period{Kind: Quarter, Year: q / 4, N: q%4 + 1}
	default:
		m := p.Year*12 + p.N - 1 + n
		return Period{Kind: Month, Year: m / 12, N: m%12 + 1}
	}
}

// Next returns the period after p.
func (p Period) Next() Period { return p.Add(1) }

// Prev returns the period before p (P−1).
func (p Period) Prev() Period { return p.Add(-1) }

// YearAgo returns the same period a year earlier (P−1y): the same month or quarter, or
// the same ISO week number of the previous ISO year (week 52 when that year has no 53).
func (p Period) YearAgo() Period {
	q := Period{Kind: p.Kind, Year: p.Year - 1, N: p.N}
	if p.Kind == Week && p.N == 53 && WeeksIn(q.Year) < 53 {
		q.N = 52
	}
	return q
}

// TTM returns the trailing twelve months of p: [End − 12 calendar months, End).
func (p Period) TTM() Range {
	end := p.End()
	return Range{Start: end.AddMonths(-12), End: end}
}

// Contains reports whether d falls in p.
func (p Period) Contains(d Date) bool { return p.Range().Contains(d) }

// Label returns "2026-10", "2026-W43" or "2026-Q3".
func (p Period) Label() string {
	switch p.Kind {
	case Week:
		return fmt.Sprintf("%04d-W%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	default:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	}
}

// String returns the label.
func (p Period) String() string { return p.Label() }

// Parse parses a label: "2026-10", "2026-W43" or "2026-Q3".
func Parse(label string) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, fmt.Errorf("%w: %q (want 2026-10, 2026-W43 or 2026-Q3)", ErrLabel, label)
	}
	y, rest, ok := strings.Cut(label, "-")
	if !ok || len(y) != 4 || strings.Trim(y, "0123456789") != "" {
		return bad()
	}
	year, _ := strconv.Atoi(y)
	if year < 1 {
		return bad()
	}
	num := func(s string, lo, hi int) (int, bool) {
		if len(s) == 0 || len(s) > 2 || s[0] == '+' || s[0] == '-' {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= lo && n <= hi
	}
	switch {
	case strings.HasPrefix(rest, "W"):
		n, ok := num(rest[1:], 1, 53)
		if !ok || len(rest) != 3 {
			return bad()
		}
		if n > WeeksIn(year) {
			return Period{}, fmt.Errorf("%w: %q: %d has no ISO week 53", ErrLabel, label, year)
		}
		return Period{Kind: Week, Year: year, N: n}, nil
	case strings.HasPrefix(rest, "Q"):
		n, ok := num(rest[1:], 1, 4)
		if !ok || len(rest) != 2 {
			return bad()
		}
		return Period{Kind: Quarter, Year: year, N: n}, nil
	default:
		n, ok := num(rest, 1, 12)
		if !ok || len(rest) != 2 {
			return bad()
		}
		return Period{Kind: Month, Year: year, N: n}, nil
	}
}

// ParseKindLabel parses label and checks that it is a period of kind k.
func ParseKindLabel(k Kind, label string) (Period, error) {
	p, err := Parse(label)
	if err != nil {
		return Period{}, err
	}
	if p.Kind != k {
		return Period{}, fmt.Errorf("%w: %q is a %s, the job reports per %s", ErrLabel, label, p.Kind, k)
	}
	return p, nil
}

// LastComplete returns the last period of kind k that ended at or before now, in loc:
// the period a scheduled run at now reports on.
func LastComplete(k Kind, now time.Time, loc *time.Location) Period {
	return Of(k, DateOf(now.In(loc))).Prev()
}

// WeeksIn returns the number of ISO weeks (52 or 53) of ISO year y.
func WeeksIn(y int) int {
	_, w := time.Date(y, time.December, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// isoWeek1Monday returns the Monday of ISO week 1 of year y (the week with 4 January).
func isoWeek1Monday(y int) Date {
	jan4 := FromYMD(y, time.January, 4)
	wd := (int(jan4.Weekday()) + 6) % 7 // Monday = 0
	return jan4 - Date(wd)
}
