package period_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Europe/Amsterdam on any machine

	"github.com/kpireport/kpireport/period"
)

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func day(y int, m time.Month, d int) period.Date { return period.FromYMD(y, m, d) }

func mustParse(t testing.TB, label string) period.Period {
	t.Helper()
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDateCivil(t *testing.T) {
	tests := []struct {
		name    string
		y       int
		m       time.Month
		d       int
		want    period.Date // days since 1970-01-01
		weekday time.Weekday
	}{
		{"epoch", 1970, time.January, 1, 0, time.Thursday},
		{"day before epoch", 1969, time.December, 31, -1, time.Wednesday},
		{"leap day 2000", 2000, time.February, 29, 11016, time.Tuesday},
		{"2026-10-01", 2026, time.October, 1, 20727, time.Thursday},
		{"first day of AD", 1, time.January, 1, -719162, time.Monday},
		{"9999-12-31", 9999, time.December, 31, 2932896, time.Friday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := period.FromYMD(tt.y, tt.m, tt.d)
			if got != tt.want {
				t.Errorf("FromYMD = %d, want %d", got, tt.want)
			}
			if y, m, d := got.YMD(); y != tt.y || m != tt.m || d != tt.d {
				t.Errorf("YMD = %d-%d-%d, want %d-%d-%d", y, m, d, tt.y, tt.m, tt.d)
			}
			if wd := got.Weekday(); wd != tt.weekday {
				t.Errorf("Weekday = %v, want %v", wd, tt.weekday)
			}
			if wd := got.In(time.UTC).Weekday(); wd != tt.weekday {
				t.Errorf("In(UTC).Weekday = %v, want %v", wd, tt.weekday)
			}
		})
	}
}

// TestDateAgreesWithTime walks every day of 1900–2100 and compares with package time.
func TestDateAgreesWithTime(t *testing.T) {
	d := day(1900, time.January, 1)
	for tm := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() <= 2100; tm = tm.AddDate(0, 0, 1) {
		if got := period.DateOf(tm); got != d {
			t.Fatalf("DateOf(%s) = %s, want %s", tm.Format(time.DateOnly), got, d)
		}
		if got := d.String(); got != tm.Format(time.DateOnly) {
			t.Fatalf("String = %s, want %s", got, tm.Format(time.DateOnly))
		}
		if d.Weekday() != tm.Weekday() {
			t.Fatalf("%s: Weekday = %v, want %v", d, d.Weekday(), tm.Weekday())
		}
		d++
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		from period.Date
		n    int
		want period.Date
	}{
		{day(2026, time.October, 15), 1, day(2026, time.November, 15)},
		{day(2026, time.October, 31), 1, day(2026, time.November, 30)}, // no 31 November
		{day(2026, time.January, 31), 1, day(2026, time.February, 28)},
		{day(2028, time.January, 31), 1, day(2028, time.February, 29)},
		{day(2028, time.February, 29), -12, day(2027, time.February, 28)}, // no 29 February 2027
		{day(2028, time.February, 29), 48, day(2032, time.February, 29)},
		{day(2026, time.March, 31), -1, day(2026, time.February, 28)},
		{day(2026, time.January, 15), -1, day(2025, time.December, 15)},
		{day(2026, time.November, 1), -12, day(2025, time.November, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.from.String(), func(t *testing.T) {
			if got := tt.from.AddMonths(tt.n); got != tt.want {
				t.Errorf("%s.AddMonths(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestLabelRoundTrip(t *testing.T) {
	tests := []struct {
		label      string
		want       period.Period
		start, end period.Date
	}{
		{"2026-10", period.Period{Kind: period.Month, Year: 2026, N: 10}, day(2026, 10, 1), day(2026, 11, 1)},
		{"2026-01", period.Period{Kind: period.Month, Year: 2026, N: 1}, day(2026, 1, 1), day(2026, 2, 1)},
		{"2026-12", period.Period{Kind: period.Month, Year: 2026, N: 12}, day(2026, 12, 1), day(2027, 1, 1)},
		{"2028-02", period.Period{Kind: period.Month, Year: 2028, N: 2}, day(2028, 2, 1), day(2028, 3, 1)},
		{"2026-W43", period.Period{Kind: period.Week, Year: 2026, N: 43}, day(2026, 10, 19), day(2026, 10, 26)},
		{"2026-W01", period.Period{Kind: period.Week, Year: 2026, N: 1}, day(2025, 12, 29), day(2026, 1, 5)},
		{"2026-W53", period.Period{Kind: period.Week, Year: 2026, N: 53}, day(2026, 12, 28), day(2027, 1, 4)},
		{"2020-W53", period.Period{Kind: period.Week, Year: 2020, N: 53}, day(2020, 12, 28), day(2021, 1, 4)},
		{"2027-W01", period.Period{Kind: period.Week, Year: 2027, N: 1}, day(2027, 1, 4), day(2027, 1, 11)},
		{"2026-Q3", period.Period{Kind: period.Quarter, Year: 2026, N: 3}, day(2026, 7, 1), day(2026, 10, 1)},
		{"2026-Q1", period.Period{Kind: period.Quarter, Year: 2026, N: 1}, day(2026, 1, 1), day(2026, 4, 1)},
		{"2026-Q4", period.Period{Kind: period.Quarter, Year: 2026, N: 4}, day(2026, 10, 1), day(2027, 1, 1)},
		{"0001-01", period.Period{Kind: period.Month, Year: 1, N: 1}, day(1, 1, 1), day(1, 2, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			p, err := period.Parse(tt.label)
			if err != nil {
				t.Fatal(err)
			}
			if p != tt.want {
				t.Errorf("Parse = %+v, want %+v", p, tt.want)
			}
			if got := p.Label(); got != tt.label {
				t.Errorf("Label = %q, want %q", got, tt.label)
			}
			if got := p.String(); got != tt.label {
				t.Errorf("String = %q, want %q", got, tt.label)
			}
			if p.Start() != tt.start || p.End() != tt.end {
				t.Errorf("Range = %s, want [%s, %s)", p.Range(), tt.start, tt.end)
			}
			if !p.Contains(tt.start) || !p.Contains(tt.end-1) || p.Contains(tt.start-1) || p.Contains(tt.end) {
				t.Errorf("Contains is not [%s, %s)", tt.start, tt.end)
			}
			// Every day of the period lies in the period Of returns.
			for d := tt.start; d < tt.end; d++ {
				if got := period.Of(p.Kind, d); got != p {
					t.Fatalf("Of(%s, %s) = %s, want %s", p.Kind, d, got, p)
				}
			}
			if q, err := period.ParseKindLabel(p.Kind, tt.label); err != nil || q != p {
				t.Errorf("ParseKindLabel(%s) = %v, %v", p.Kind, q, err)
			}
		})
	}
}

func TestParseBadLabel(t *testing.T) {
	for _, label := range []string{
		"", "2026", "2026-", "26-10", "202610", "2026/10", "2026-10-01", " 2026-10", "2026-10 ",
		"2026-1", "2026-00", "2026-13", "2026-010", "2026-+1", "2026--1", "+026-10", "-026-10", "0000-10",
		"2026-W", "2026-W0", "2026-W00", "2026-W5", "2026-W054", "2026-W54", "2026-W+5", "2026-w43",
		"2025-W53", // 2025 has 52 ISO weeks
		"2026-Q", "2026-Q0", "2026-Q5", "2026-Q03", "2026-Q+3", "2026-q3", "2026-Q3 ", "2026-H1",
	} {
		t.Run(label, func(t *testing.T) {
			p, err := period.Parse(label)
			if !errors.Is(err, period.ErrLabel) {
				t.Errorf("Parse(%q) = %v, %v; want ErrLabel", label, p, err)
			}
		})
	}
}

func TestParseKindLabelMismatch(t *testing.T) {
	_, err := period.ParseKindLabel(period.Month, "2026-W43")
	if !errors.Is(err, period.ErrLabel) {
		t.Errorf("err = %v, want ErrLabel", err)
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []period.Kind{period.Month, period.Week, period.Quarter} {
		got, err := period.ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	for _, s := range []string{"", "Month", "year", "day"} {
		if _, err := period.ParseKind(s); !errors.Is(err, period.ErrKind) {
			t.Errorf("ParseKind(%q): err = %v, want ErrKind", s, err)
		}
	}
}

func TestISOWeeks(t *testing.T) {
	t.Run("weeks in year", func(t *testing.T) {
		// Years with 53 ISO weeks start or (leap years) end on a Thursday.
		for y, want := range map[int]int{2020: 53, 2021: 52, 2024: 52, 2025: 52, 2026: 53, 2027: 52, 2032: 53, 2037: 53} {
			if got := period.WeeksIn(y); got != want {
				t.Errorf("WeeksIn(%d) = %d, want %d", y, got, want)
			}
		}
	})
	t.Run("weeks start on Monday", func(t *testing.T) {
		p := mustParse(t, "2024-W01")
		for range 600 {
			if wd := p.Start().Weekday(); wd != time.Monday {
				t.Fatalf("%s starts on %v", p, wd)
			}
			if n := p.End() - p.Start(); n != 7 {
				t.Fatalf("%s has %d days", p, n)
			}
			if p.Next().Start() != p.End() {
				t.Fatalf("%s: next week does not start at its end", p)
			}
			p = p.Next()
		}
	})
	tests := []struct {
		name string
		got  period.Period
		want string
	}{
		{"week 53 follows week 52", mustParse(t, "2026-W52").Next(), "2026-W53"},
		{"week 1 follows week 53", mustParse(t, "2026-W53").Next(), "2027-W01"},
		{"week 53 precedes week 1", mustParse(t, "2027-W01").Prev(), "2026-W53"},
		{"week 1 follows week 52 without 53", mustParse(t, "2025-W52").Next(), "2026-W01"},
		{"YearAgo of week 53 is week 52", mustParse(t, "2026-W53").YearAgo(), "2025-W52"},
		{"YearAgo of 2032-W53", mustParse(t, "2032-W53").YearAgo(), "2031-W52"},
		{"YearAgo of week 52", mustParse(t, "2027-W52").YearAgo(), "2026-W52"},
		{"YearAgo of week 43", mustParse(t, "2026-W43").YearAgo(), "2025-W43"},
		{"YearAgo of week 1", mustParse(t, "2026-W01").YearAgo(), "2025-W01"},
		{"Of the Sunday 3 January 2027", period.Of(period.Week, day(2027, 1, 3)), "2026-W53"},
		{"Of the Monday 29 December 2025", period.Of(period.Week, day(2025, 12, 29)), "2026-W01"},
		{"Add -53 weeks from 2027-W01", mustParse(t, "2027-W01").Add(-53), "2026-W01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got.Label(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("year ago of 2021-W53 does not exist", func(t *testing.T) {
		if _, err := period.Parse("2021-W53"); !errors.Is(err, period.ErrLabel) {
			t.Errorf("2021-W53 parsed: %v", err)
		}
		// 2020-W53's year-ago is 2019-W52; 2015-W53's is 2014-W52.
		for label, want := range map[string]string{"2020-W53": "2019-W52", "2015-W53": "2014-W52"} {
			if got := mustParse(t, label).YearAgo().Label(); got != want {
				t.Errorf("YearAgo(%s) = %s, want %s", label, got, want)
			}
		}
	})
}

func TestQuarterEdges(t *testing.T) {
	tests := []struct {
		name string
		got  period.Period
		want string
	}{
		{"31 March is Q1", period.Of(period.Quarter, day(2026, 3, 31)), "2026-Q1"},
		{"1 April is Q2", period.Of(period.Quarter, day(2026, 4, 1)), "2026-Q2"},
		{"30 September is Q3", period.Of(period.Quarter, day(2026, 9, 30)), "2026-Q3"},
		{"1 October is Q4", period.Of(period.Quarter, day(2026, 10, 1)), "2026-Q4"},
		{"31 December is Q4", period.Of(period.Quarter, day(2026, 12, 31)), "2026-Q4"},
		{"1 January is Q1", period.Of(period.Quarter, day(2027, 1, 1)), "2027-Q1"},
		{"Prev of Q1", mustParse(t, "2026-Q1").Prev(), "2025-Q4"},
		{"Next of Q4", mustParse(t, "2026-Q4").Next(), "2027-Q1"},
		{"Add -5", mustParse(t, "2026-Q2").Add(-5), "2025-Q1"},
		{"YearAgo", mustParse(t, "2026-Q3").YearAgo(), "2025-Q3"},
		{"Prev of January", mustParse(t, "2026-01").Prev(), "2025-12"},
		{"Next of December", mustParse(t, "2026-12").Next(), "2027-01"},
		{"Add -13 months", mustParse(t, "2026-01").Add(-13), "2024-12"},
		{"YearAgo of a month", mustParse(t, "2026-10").YearAgo(), "2025-10"},
		{"YearAgo of February in a leap year", mustParse(t, "2028-02").YearAgo(), "2027-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got.Label(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	// Q1 of a leap year has 91 days, of a common year 90.
	for label, want := range map[string]period.Date{"2028-Q1": 91, "2026-Q1": 90, "2026-Q3": 92, "2026-Q4": 92} {
		if n := mustParse(t, label).End() - mustParse(t, label).Start(); n != want {
			t.Errorf("%s has %d days, want %d", label, n, want)
		}
	}
}

func TestBoundsDST(t *testing.T) {
	ams := amsterdam(t)
	tests := []struct {
		label      string
		start, end string
		hours      float64
	}{
		// The October 2026 DST change (25 October, 03:00 CEST → 02:00 CET) makes the
		// month one hour longer than 31×24 = 744 hours.
		{"2026-10", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00", 745},
		// March 2026 (29 March, 02:00 CET → 03:00 CEST) is one hour shorter.
		{"2026-03", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", 743},
		{"2026-W43", "2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 7*24 + 1},
		{"2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00", 92*24 + 1},
		{"2026-11", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00", 720},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			start, end := mustParse(t, tt.label).Bounds(ams)
			if got := start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start = %s, want %s", got, tt.start)
			}
			if got := end.Format(time.RFC3339); got != tt.end {
				t.Errorf("end = %s, want %s", got, tt.end)
			}
			if got := end.Sub(start).Hours(); got != tt.hours {
				t.Errorf("length = %vh, want %vh", got, tt.hours)
			}
		})
	}
}

func TestTTM(t *testing.T) {
	tests := []struct {
		label string
		want  period.Range
	}{
		{"2026-10", period.Range{Start: day(2025, 11, 1), End: day(2026, 11, 1)}},
		{"2026-01", period.Range{Start: day(2025, 2, 1), End: day(2026, 2, 1)}},
		{"2026-Q1", period.Range{Start: day(2025, 4, 1), End: day(2026, 4, 1)}},
		{"2026-W43", period.Range{Start: day(2025, 10, 26), End: day(2026, 10, 26)}},
		// 2016-W08 is 22–28 February 2016, so it ends (exclusive) on Monday 29 February
		// 2016; 29 February 2015 does not exist, so the TTM starts on the last day of
		// February 2015.
		{"2016-W08", period.Range{Start: day(2015, 2, 28), End: day(2016, 2, 29)}},
		{"2044-W08", period.Range{Start: day(2043, 2, 28), End: day(2044, 2, 29)}},
		{"2026-W53", period.Range{Start: day(2026, 1, 4), End: day(2027, 1, 4)}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			if got := mustParse(t, tt.label).TTM(); got != tt.want {
				t.Errorf("TTM = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("window ending 2028-02-29", func(t *testing.T) {
		// The rule at the level of days: [end − 12 months, end) for end = 2028-02-29
		// starts on 2027-02-28 (2027-02-29 does not exist). No ISO week ends on that
		// Tuesday, so this is checked on the date arithmetic TTM uses.
		if got := day(2028, 2, 29).AddMonths(-12); got != day(2027, 2, 28) {
			t.Errorf("start = %s, want 2027-02-28", got)
		}
	})
}

func TestLastComplete(t *testing.T) {
	ams := amsterdam(t)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		kind period.Kind
		now  time.Time
		want string
	}{
		{"month at exactly local midnight", period.Month, at("2026-11-01T00:00:00+01:00"), "2026-10"},
		{"month just before local midnight", period.Month, at("2026-10-31T23:59:59.999999999+01:00"), "2026-09"},
		{"month, now in UTC at local midnight", period.Month, at("2026-10-31T23:00:00Z"), "2026-10"},
		{"month, now in UTC just before local midnight", period.Month, at("2026-10-31T22:59:59Z"), "2026-09"},
		{"week at Monday midnight", period.Week, at("2026-10-26T00:00:00+01:00"), "2026-W43"},
		{"week just before Monday midnight", period.Week, at("2026-10-25T23:59:59+01:00"), "2026-W42"},
		{"week at midnight after week 53", period.Week, at("2027-01-04T00:00:00+01:00"), "2026-W53"},
		{"quarter at midnight", period.Quarter, at("2026-10-01T00:00:00+02:00"), "2026-Q3"},
		{"quarter just before midnight", period.Quarter, at("2026-09-30T21:59:59Z"), "2026-Q2"},
		{"quarter across the year", period.Quarter, at("2027-01-01T00:00:00+01:00"), "2026-Q4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := period.LastComplete(tt.kind, tt.now, ams)
			if got.Label() != tt.want {
				t.Errorf("LastComplete = %s, want %s", got, tt.want)
			}
			// The period ended at or before now.
			if _, end := got.Bounds(ams); end.After(tt.now) {
				t.Errorf("%s ends at %s, after now %s", got, end, tt.now)
			}
		})
	}
}

func TestRange(t *testing.T) {
	r := period.Range{Start: day(2026, 10, 1), End: day(2026, 11, 1)}
	if got := r.String(); got != "[2026-10-01, 2026-11-01)" {
		t.Errorf("String = %q", got)
	}
	if period.NoDate.String() != "" {
		t.Errorf("NoDate.String = %q, want empty", period.NoDate.String())
	}
	if r.Contains(period.NoDate) {
		t.Error("a range contains NoDate")
	}
}

// TestBoundsMidnightGap checks zones whose clocks spring forward at midnight, so that
// some days have no 00:00: such a day starts at the jump (01:00), not at 23:00 the
// evening before, and an instant just before the jump belongs to the day before, as
// the day parser says.
func TestBoundsMidnightGap(t *testing.T) {
	tests := []struct {
		zone, label string
		start, end  string
		hours       float64
	}{
		// Paraguay: 1 October 2023 00:00 −04 → 01:00 −03.
		{"America/Asuncion", "2023-10", "2023-10-01T01:00:00-03:00", "2023-11-01T00:00:00-03:00", 31*24 - 1},
		{"America/Asuncion", "2023-09", "2023-09-01T00:00:00-04:00", "2023-10-01T01:00:00-03:00", 30 * 24},
		{"America/Asuncion", "2023-Q4", "2023-10-01T01:00:00-03:00", "2024-01-01T00:00:00-03:00", 92*24 - 1},
		// Chile: 3 September 2023 00:00 −04 → 01:00 −03.
		{"America/Santiago", "2023-09", "2023-09-01T00:00:00-04:00", "2023-10-01T00:00:00-03:00", 30*24 - 1},
		{"America/Santiago", "2023-W35", "2023-08-28T00:00:00-04:00", "2023-09-04T00:00:00-03:00", 7*24 - 1},
		{"America/Santiago", "2023-W36", "2023-09-04T00:00:00-03:00", "2023-09-11T00:00:00-03:00", 7 * 24},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.label, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			start, end := mustParse(t, tt.label).Bounds(loc)
			if got := start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start = %s, want %s", got, tt.start)
			}
			if got := end.Format(time.RFC3339); got != tt.end {
				t.Errorf("end = %s, want %s", got, tt.end)
			}
			if got := end.Sub(start).Hours(); got != tt.hours {
				t.Errorf("length = %vh, want %vh", got, tt.hours)
			}
			// The instant before the start is on the day before, by the day parser too.
			before := start.Add(-time.Second).UTC().Format("2006-01-02T15:04:05Z")
			d, err := period.NewDayParser(loc).Parse([]byte(before))
			if err != nil {
				t.Fatal(err)
			}
			if first := period.DateOf(start.In(loc)); d >= first {
				t.Errorf("%s parses as %v, not before the period's first day %v", before, d, first)
			}
		})
	}
}
