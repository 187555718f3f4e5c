package period_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/period"
)

func TestDayParser(t *testing.T) {
	ams := amsterdam(t)
	tests := []struct {
		name string
		in   string
		want period.Date
	}{
		// Every accepted spelling.
		{"date", "2026-10-31", day(2026, 10, 31)},
		{"T hh:mm", "2026-10-31T12:00", day(2026, 10, 31)},
		{"space hh:mm", "2026-10-31 12:00", day(2026, 10, 31)},
		{"T hh:mm:ss", "2026-10-31T12:00:30", day(2026, 10, 31)},
		{"space hh:mm:ss", "2026-10-31 12:00:30", day(2026, 10, 31)},
		{"fraction", "2026-10-31T12:00:30.5", day(2026, 10, 31)},
		{"nanoseconds", "2026-10-31 12:00:30.123456789", day(2026, 10, 31)},
		{"long fraction", "2026-10-31T23:59:59.99999999999999999999", day(2026, 10, 31)},
		{"hh:mm Z", "2026-10-31T12:00Z", day(2026, 10, 31)},
		{"hh:mm:ss Z", "2026-10-31T12:00:00Z", day(2026, 10, 31)},
		{"fraction Z", "2026-10-31T12:00:00.250Z", day(2026, 10, 31)},
		{"hh:mm offset", "2026-10-31T12:00+01:00", day(2026, 10, 31)},
		{"hh:mm:ss offset", "2026-10-31 12:00:00-05:30", day(2026, 10, 31)},
		{"fraction offset", "2026-10-31T12:00:00.5+01:00", day(2026, 10, 31)},

		// Z and offsets are converted to Amsterdam first.
		{"spec example: 23:30Z on 30 September is 1 October", "2026-09-30T23:30:00Z", day(2026, 10, 1)},
		{"22:00Z on 30 September is midnight 1 October (CEST)", "2026-09-30T22:00:00Z", day(2026, 10, 1)},
		{"21:59:59Z on 30 September is still September", "2026-09-30T21:59:59Z", day(2026, 9, 30)},
		{"21:59:59.999Z on 30 September is still September", "2026-09-30T21:59:59.999Z", day(2026, 9, 30)},
		// On 31 October Amsterdam is on CET (+01:00) again, so 23:00Z is the local midnight.
		{"22:30Z on 31 October is 23:30 local, still October", "2026-10-31T22:30:00Z", day(2026, 10, 31)},
		{"22:59:59Z on 31 October is still October", "2026-10-31T22:59:59Z", day(2026, 10, 31)},
		{"23:00Z on 31 October is November", "2026-10-31T23:00:00Z", day(2026, 11, 1)},
		{"23:30Z on 31 October is November", "2026-10-31 23:30Z", day(2026, 11, 1)},
		{"+01:00 midnight", "2026-11-01T00:00:00+01:00", day(2026, 11, 1)},
		{"+00:00 just before local midnight", "2026-10-31T22:59:59+00:00", day(2026, 10, 31)},
		{"-05:00 evening is next local day", "2026-10-31T19:00:00-05:00", day(2026, 11, 1)},
		{"-05:00 before 18:00 is same local day", "2026-10-31T17:59:59-05:00", day(2026, 10, 31)},
		{"+14:00 morning is previous local day", "2026-11-01T09:00:00+14:00", day(2026, 10, 31)},
		{"+05:45 offset with minutes", "2026-11-01T04:44:59+05:45", day(2026, 10, 31)},
		{"+05:45 offset at local midnight", "2026-11-01T04:45:00+05:45", day(2026, 11, 1)},
		{"DST day: 00:30Z on 25 October is 02:30 CEST", "2026-10-25T00:30:00Z", day(2026, 10, 25)},
		{"DST night: 22:30Z on 24 October is 00:30 CEST", "2026-10-24T22:30:00Z", day(2026, 10, 25)},
		{"year end", "2026-12-31T23:00:00Z", day(2027, 1, 1)},
		{"leap day with offset", "2028-02-28T23:30:00Z", day(2028, 2, 29)},

		// Without an offset the time is local: its date is the day.
		{"naive local late evening", "2026-10-31T23:59:59", day(2026, 10, 31)},
		{"naive local midnight", "2026-11-01 00:00", day(2026, 11, 1)},
		{"naive local time in the DST gap", "2026-03-29T02:30:00", day(2026, 3, 29)},
		{"naive local time in the repeated hour", "2026-10-25T02:30:00", day(2026, 10, 25)},
		{"leap day", "2028-02-29", day(2028, 2, 29)},
		{"year 1", "0001-01-01", day(1, 1, 1)},
		{"year 9999", "9999-12-31T23:59:59", day(9999, 12, 31)},
	}
	p := period.NewDayParser(ams)
	if p.Location() != ams {
		t.Fatalf("Location = %v", p.Location())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.ParseString(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// A fresh parser (empty zone cache) agrees.
			if got2, _ := period.NewDayParser(ams).Parse([]byte(tt.in)); got2 != got {
				t.Errorf("fresh parser: %s, cached parser: %s", got2, got)
			}
		})
	}
	t.Run("same values in reverse order", func(t *testing.T) {
		// The zone cache must not leak between values of different offsets.
		p := period.NewDayParser(ams)
		for i := len(tests) - 1; i >= 0; i-- {
			if got, _ := p.ParseString(tests[i].in); got != tests[i].want {
				t.Errorf("Parse(%q) = %s, want %s", tests[i].in, got, tests[i].want)
			}
		}
	})
}

func TestDayParserUTC(t *testing.T) {
	p := period.NewDayParser(time.UTC)
	for in, want := range map[string]period.Date{
		"2026-09-30T23:30:00Z":      day(2026, 9, 30),
		"2026-09-30T23:30:00-01:00": day(2026, 10, 1),
		"1969-12-31T23:59:59Z":      day(1969, 12, 31),
		"1970-01-01T00:00:00+00:01": day(1969, 12, 31),
		"0001-01-01T00:00:00Z":      day(1, 1, 1),
	} {
		if got, err := p.ParseString(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestDayParserRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"2026",
		"2026-10",
		"2026-10-3",
		"26-10-31",
		"2026/10/31",
		"2026-1-31",
		"20261031",
		"2026-02-30", // no such day
		"2025-02-29", // not a leap year
		"2100-02-29", // not a leap year
		"2026-13-01",
		"2026-00-10",
		"2026-10-00",
		"2026-10-32",
		"0000-01-01",
		"-001-01-01",
		"+2026-10-31",
		" 2026-10-31",
		"2026-10-31 ",
		"2026-10-31x",
		"2026-10-31T",
		"2026-10-31 ",
		"2026-10-31T12",
		"2026-10-31T1200",
		"2026-10-31T12:",
		"2026-10-31T12:0",
		"2026-10-31T1:00",
		"2026-10-31T24:00", // 24:00 is not a time of day here
		"2026-10-31T24:00:00",
		"2026-10-31T12:60",
		"2026-10-31T12:00:60", // no leap seconds
		"2026-10-31T12:00:",
		"2026-10-31T12:00:5",
		"2026-10-31T12:00:00.",
		"2026-10-31T12:00:00,5",
		"2026-10-31T12:00.5", // a fraction needs seconds
		"2026-10-31T12:00:00.5.5",
		"2026-10-31t12:00",
		"2026-10-31_12:00",
		"2026-10-31T12:00:00 Z",
		"2026-10-31T12:00:00ZZ",
		"2026-10-31T12:00:00Zjunk",
		"2026-10-31T12:00:00+0100", // offset without colon
		"2026-10-31T12:00:00+01",
		"2026-10-31T12:00:00+1:00",
		"2026-10-31T12:00:00+01:0",
		"2026-10-31T12:00:00+01:00:00",
		"2026-10-31T12:00:00+01:00Z",
		"2026-10-31T12:00:00+24:00",
		"2026-10-31T12:00:00+01:60",
		"2026-10-31T12:00:00 +01:00",
		"2026-10-31T12:00:00UTC",
		"2026-10-31T12:00:00 junk",
		"2026-1a-31",
		"2026-10-31T1a:00",
		"2026-10-31T12:00:0a",
		"2026-10-31T12:00:00+0a:00",
		"\x002026-10-31",
		"2026-10-31T12:00:00\x00",
		"2026−10−31", // U+2212 minus signs
	} {
		t.Run(in, func(t *testing.T) {
			p := period.NewDayParser(time.UTC)
			got, err := p.ParseString(in)
			if !errors.Is(err, period.ErrValue) {
				t.Fatalf("Parse(%q) = %s, %v; want ErrValue", in, got, err)
			}
			if !strings.Contains(err.Error(), "YYYY-MM-DD") {
				t.Errorf("error %q does not say what is expected", err)
			}
		})
	}
}

func TestDayParserInstant(t *testing.T) {
	ams := amsterdam(t)
	p := period.NewDayParser(ams)
	tests := []struct {
		in   time.Time
		want period.Date
	}{
		{time.Date(2026, 9, 30, 23, 30, 0, 0, time.UTC), day(2026, 10, 1)},
		{time.Date(2026, 10, 31, 22, 59, 59, 999999999, time.UTC), day(2026, 10, 31)},
		{time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), day(2026, 11, 1)},
		{time.Date(2026, 10, 31, 23, 59, 0, 0, ams), day(2026, 10, 31)},
		{time.Date(2026, 10, 31, 18, 0, 0, 0, time.FixedZone("EST", -5*3600)), day(2026, 11, 1)},
		{time.Date(1950, 6, 30, 23, 30, 0, 0, time.UTC), day(1950, 7, 1)}, // CEST did not exist then, but +01:00 did
	}
	for _, tt := range tests {
		t.Run(tt.in.Format(time.RFC3339Nano), func(t *testing.T) {
			if got := p.Instant(tt.in); got != tt.want {
				t.Errorf("Instant = %s, want %s", got, tt.want)
			}
			if got := period.DateOf(tt.in.In(ams)); got != tt.want {
				t.Errorf("DateOf = %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzDayParser checks that the parser never panics, that an accepted value's local
// day is the one package time computes for the same text, and that the day formats as
// a date that parses back to itself.
func FuzzDayParser(f *testing.F) {
	for _, s := range []string{
		"2026-10-31", "2026-10-31T12:00", "2026-10-31 12:00:30", "2026-10-31T12:00:30.5",
		"2026-09-30T23:30:00Z", "2026-10-31T23:00:00Z", "2026-10-31T12:00:00+01:00",
		"2026-10-31T12:00:00.123-05:30", "2026-10-31T12:00z", "2026-03-29T02:30:00",
		"2026-02-30", "2026-10-31T24:00", "2026-10-31T12:00:00+0100", "2026-10-31T12", "2026-10-31x",
		"0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "", "2026-10-31T12:00:00.",
	} {
		f.Add(s)
	}
	ams := amsterdam(f)
	f.Fuzz(func(t *testing.T, s string) {
		p := period.NewDayParser(ams)
		got, err := p.ParseString(s)
		if err != nil {
			if !errors.Is(err, period.ErrValue) {
				t.Fatalf("Parse(%q): error %v is not ErrValue", s, err)
			}
			return
		}
		want, ok := referenceDay(s, ams)
		if !ok {
			t.Fatalf("Parse(%q) = %s, but package time rejects it", s, got)
		}
		if got != want {
			t.Fatalf("Parse(%q) = %s, package time says %s", s, got, want)
		}
		if y, _, _ := got.YMD(); y < 1 || y > 9999 {
			return // an offset moved the day out of the four-digit years
		}
		back, err := p.ParseString(got.String())
		if err != nil || back != got {
			t.Fatalf("Parse(%q) = %s, which re-parses as %s, %v", s, got, back, err)
		}
	})
}

// referenceDay computes the local day of s with package time.
func referenceDay(s string, loc *time.Location) (period.Date, bool) {
	if len(s) == 10 {
		t, err := time.Parse(time.DateOnly, s)
		return period.DateOf(t), err == nil
	}
	b := []byte(s)
	b[10] = 'T'
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	s = string(b)
	hasSeconds := len(s) > 16 && s[16] == ':'
	hasZone := strings.HasSuffix(s, "Z") || len(s) > 16 && strings.ContainsAny(s[16:], "+-")
	layout := "2006-01-02T15:04"
	if hasSeconds {
		layout += ":05"
	}
	if hasZone {
		t, err := time.Parse(layout+"Z07:00", s)
		if err != nil {
			return 0, false
		}
		return period.DateOf(t.In(loc)), true
	}
	t, err := time.Parse(layout, s)
	return period.DateOf(t), err == nil
}
