package kpi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/period"
)

// qualityData returns data for a report on p: orders[0] is the count of p,
// orders[i] that of p−i; every other window is empty. latest is the watermark.
func qualityData(p period.Period, latest period.Date, orders ...int64) (*Plan, *Data) {
	plan := NewPlan(p)
	data := &Data{Windows: map[period.Range]*Measures{}, Latest: latest}
	for _, w := range plan.Windows {
		data.Windows[w] = &Measures{}
	}
	for i, n := range orders {
		data.Windows[p.Add(-i).Range()].SalesCount = n
	}
	return plan, data
}

func TestCheckQuality(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	nov, err := period.Parse("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	_, end := nov.Bounds(ams) // 2026-12-01 00:00 CET
	day := func(d int) period.Date { return period.FromYMD(2026, 11, d) }
	rules := QualityRules{MinOrders: 1, Freshness: 72 * time.Hour, MaxDrop: 0.5}
	tests := []struct {
		name   string
		rules  QualityRules
		latest period.Date
		orders []int64 // p, p−1, p−2, p−3
		until  time.Time
		want   []Check
	}{
		{"complete", rules, day(30), []int64{100, 100, 100, 100}, end, nil},
		{"data after the period", rules, period.FromYMD(2026, 12, 2), []int64{100, 100, 100, 100}, end, nil},
		// freshness: the data reaches the end of its latest day.
		{"3 days before the end: a quiet weekend", rules, day(27), []int64{100, 100, 100, 100}, end, nil},
		{"one day short of freshness", rules, day(26), []int64{100, 100, 100, 100}, end, []Check{CheckFreshness}},
		{"cut off mid-month", rules, day(15), []int64{55, 100, 100, 100}, end, []Check{CheckFreshness}},
		{"freshness 0: the last day has data", QualityRules{MinOrders: 1, MaxDrop: 0.5}, day(30), []int64{100, 100, 100, 100}, end, nil},
		{"freshness 0: the last day has none", QualityRules{MinOrders: 1, MaxDrop: 0.5}, day(29), []int64{100, 100, 100, 100}, end, []Check{CheckFreshness}},
		{"no rows at all", rules, NoRows, []int64{0, 0, 0, 0}, end, []Check{CheckMinOrders, CheckFreshness}},
		// min_orders
		{"header-only orders, other tables fresh", rules, day(30), []int64{0, 100, 100, 100}, end, []Check{CheckMinOrders, CheckMaxDrop}},
		{"min_orders 0 turns it off", QualityRules{Freshness: 72 * time.Hour, MaxDrop: 1}, day(30), []int64{0, 100, 100, 100}, end, nil},
		{"min_orders 50", QualityRules{MinOrders: 50, Freshness: 72 * time.Hour, MaxDrop: 1}, day(30), []int64{49, 100, 100, 100}, end, []Check{CheckMinOrders}},
		// max_drop: against the mean of the 3 periods before.
		{"drop of exactly max_drop", rules, day(30), []int64{50, 90, 100, 110}, end, nil},
		{"drop beyond max_drop", rules, day(30), []int64{49, 90, 100, 110}, end, []Check{CheckMaxDrop}},
		{"max_drop 0.2", QualityRules{MinOrders: 1, Freshness: 72 * time.Hour, MaxDrop: 0.2}, day(30), []int64{79, 100, 100, 100}, end, []Check{CheckMaxDrop}},
		{"max_drop 1 turns it off", QualityRules{MinOrders: 1, Freshness: 72 * time.Hour, MaxDrop: 1}, day(30), []int64{1, 100, 100, 100}, end, nil},
		{"a rise is fine", rules, day(30), []int64{1000, 100, 100, 100}, end, nil},
		{"fewer than 3 earlier periods with data: skipped", rules, day(30), []int64{10, 100, 100, 0}, end, nil},
		{"the first period of the data: skipped", rules, day(30), []int64{10}, end, nil},
		// A report to date is checked against its as-of time, without max_drop.
		{"to date", rules, day(10), []int64{30, 100, 100, 100}, day(10).In(ams).Add(15 * time.Hour), nil},
		{"to date, stale", rules, day(5), []int64{30, 100, 100, 100}, day(10).In(ams).Add(15 * time.Hour), []Check{CheckFreshness}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, data := qualityData(nov, tt.latest, tt.orders...)
			q := CheckQuality(plan, data, tt.rules, ams, tt.until)
			var got []Check
			for _, is := range q.Issues {
				got = append(got, is.Check)
				for _, lang := range []string{"en", "nl"} {
					if text := is.Text(lang); text == "" || text == string(is.Check) {
						t.Errorf("%s: no %s text", is.Check, lang)
					}
				}
			}
			if strings.Join(ckStrings(got), ",") != strings.Join(ckStrings(tt.want), ",") {
				t.Errorf("issues = %v, want %v (watermark %v, due %v)", got, tt.want, q.Watermark, q.Due)
			}
			if q.Passed() != (len(tt.want) == 0) {
				t.Errorf("Passed = %v with issues %v", q.Passed(), got)
			}
		})
	}
}

func ckStrings(cs []Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// The texts say what was found and the threshold, in both languages.
func TestQualityTexts(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	nov, _ := period.Parse("2026-11")
	_, end := nov.Bounds(ams)
	plan, data := qualityData(nov, period.FromYMD(2026, 11, 15), 40, 100, 100, 100)
	q := CheckQuality(plan, data, QualityRules{MinOrders: 50, Freshness: 72 * time.Hour, MaxDrop: 0.5}, ams, end)
	want := map[string][]string{
		"en": {"40 orders in the period, fewer than min_orders = 50", "the data ends on 2026-11-15 (watermark), before 2026-11-28 00:00 CET (freshness = 72h)", "40 orders, 60% below the mean of 100.0 of the 3 periods before (max_drop = 0.5)"},
		"nl": {"40 verkopen in de periode, minder dan min_orders = 50", "de gegevens lopen tot en met 2026-11-15 (watermerk), niet tot 2026-11-28 00:00 CET (freshness = 72h)", "40 verkopen, 60% minder dan het gemiddelde van 100,0 over de 3 perioden ervoor (max_drop = 0,5)"},
	}
	for lang, texts := range want {
		if got := q.Reasons(lang); got != strings.Join(texts, "; ") {
			t.Errorf("%s: reasons\n%s\nwant\n%s", lang, got, strings.Join(texts, "; "))
		}
		if s := q.Summary(lang); !strings.Contains(s, "2026-11-15") || !strings.Contains(s, "min_orders = 50") {
			t.Errorf("%s: summary %q lacks the watermark or a threshold", lang, s)
		}
	}
}

// fakeLocale formats as locale.Format does for nl (kpi cannot import locale):
// grouped counts, Dutch month names.
type fakeLocale struct{}

func (fakeLocale) Language() string { return "nl" }
func (fakeLocale) Int(n int64) string {
	if n >= 1000 {
		return fmt.Sprintf("%d.%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}
func (fakeLocale) Date(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}[t.Month()-1], t.Year())
}
func (f fakeLocale) DateTime(t time.Time) string { return f.Date(t) + " " + t.Format("15:04 MST") }

// The notes of the PDF and workbook use the report's locale for counts, dates
// and decimals, "verkopen" as the card does, and the freshness as the config
// wrote it (tryout F5).
func TestQualityFormat(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	nov, _ := period.Parse("2026-11")
	_, end := nov.Bounds(ams)
	plan, data := qualityData(nov, period.FromYMD(2026, 11, 15), 1040, 3000, 3000, 3000)
	q := CheckQuality(plan, data, QualityRules{MinOrders: 1500, Freshness: 72 * time.Hour, MaxDrop: 0.5}, ams, end)
	want := "Gegevenscontrole: 1.040 verkopen (min_orders = 1.500); watermerk 15 november 2026, moet tot 28 november 2026 00:00 CET reiken (freshness = 72h); max_drop = 0,5 ten opzichte van het gemiddelde van 3 perioden."
	if got := q.FormatSummary(fakeLocale{}); got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
	wantReasons := "1.040 verkopen in de periode, minder dan min_orders = 1.500; de gegevens lopen tot en met 15 november 2026 (watermerk), niet tot 28 november 2026 00:00 CET (freshness = 72h); 1.040 verkopen, 65% minder dan het gemiddelde van 3000,0 over de 3 perioden ervoor (max_drop = 0,5)"
	if got := q.FormatReasons(fakeLocale{}); got != wantReasons {
		t.Errorf("reasons\n%s\nwant\n%s", got, wantReasons)
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{72 * time.Hour, "72h"}, {36*time.Hour + 30*time.Minute, "36h30m"}, {90 * time.Second, "1m30s"}, {0, "0s"}, {time.Hour + time.Second, "1h0m1s"}} {
		got := fmtDuration(tt.d)
		back, err := time.ParseDuration(got)
		if got != tt.want || err != nil || back != tt.d {
			t.Errorf("fmtDuration(%v) = %q (parses back to %v, %v), want %q", tt.d, got, back, err, tt.want)
		}
	}
}
