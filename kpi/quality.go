package kpi

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kpireport/kpireport/period"
)

// QualityRules are the thresholds of the data-quality gate a report passes
// before it is mailed (config [quality]).
type QualityRules struct {
	// MinOrders is the fewest orders (sales count: orders with amount > 0) the
	// period must have; 0 turns the check off.
	MinOrders int64
	// Freshness is how far before the period's end the watermark may be.
	Freshness time.Duration
	// MaxDrop is the largest fall of the period's orders below the mean of the
	// DropBase periods before it, as a fraction; 1 turns the check off.
	MaxDrop float64
}

// DropBase is the number of periods before the report's whose mean order count
// the max_drop check compares with.
const DropBase = 3

// Quality is the data-quality gate's verdict on a report's data.
type Quality struct {
	Rules QualityRules
	// Watermark is the latest day of any row of any table (orders, customers,
	// leads, deals, spend, calls); HasData is false when the tables are empty.
	Watermark period.Date
	HasData   bool
	// Reaches is the end of the watermark's day (its next local midnight): the
	// data is taken to reach it.
	Reaches time.Time
	// Due is the instant the data must reach: the period's end (or, for a
	// period that has not ended, the report's as-of time) minus Freshness.
	Due time.Time
	// Orders is the period's sales count; Base the mean of the DropBase periods
	// before it, and BaseOK whether each of them has orders (else the max_drop
	// check is skipped).
	Orders int64
	Base   float64
	BaseOK bool
	// Issues are why the report is held; none when it passes.
	Issues []QualityIssue
}

// Passed reports whether the data passed every check.
func (q *Quality) Passed() bool { return len(q.Issues) == 0 }

// Check names the checks of the gate, as the config keys do.
type Check string

// The checks of the data-quality gate.
const (
	CheckMinOrders Check = "min_orders"
	CheckFreshness Check = "freshness"
	CheckMaxDrop   Check = "max_drop"
)

// QualityIssue is one check the data failed, with the numbers it compared.
type QualityIssue struct {
	Check Check
	q     *Quality
}

// QualityFormat formats the numbers and dates of the gate's texts in a language;
// locale.Format is one (the reports and kpis use it).
type QualityFormat interface {
	Language() string
	Int(n int64) string
	Date(t time.Time) string
	DateTime(t time.Time) string
}

// plainFormat writes ISO dates and plain numbers: the texts of the ledger, the log
// and the operators' notices (Text, Reasons, Summary).
type plainFormat string

func (p plainFormat) Language() string          { return string(p) }
func (plainFormat) Int(n int64) string          { return strconv.FormatInt(n, 10) }
func (plainFormat) Date(t time.Time) string     { return t.Format("2006-01-02") }
func (plainFormat) DateTime(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }

// decimal writes x as short as it is exact, with a decimal comma for nl: "0.5",
// "0,5".
func decimal(lang string, x float64, digits int) string {
	s := strconv.FormatFloat(x, 'f', digits, 64)
	if lang == "nl" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Text says in lang ("en" or "nl") what the check found, with ISO dates and
// plain numbers (for the ledger, the log and notices).
func (i QualityIssue) Text(lang string) string { return i.Format(plainFormat(lang)) }

// Format says what the check found in f's language and number and date format:
// "34 verkopen in de periode, …" with "2 december 2026" and "0,5" for nl. The
// freshness is written as a Go duration that can be pasted back into the config
// ("72h", "36h30m").
func (i QualityIssue) Format(f QualityFormat) string {
	q := i.q
	lang := f.Language()
	nl := lang == "nl"
	switch i.Check {
	case CheckMinOrders:
		if nl {
			return fmt.Sprintf("%s verkopen in de periode, minder dan min_orders = %s", f.Int(q.Orders), f.Int(q.Rules.MinOrders))
		}
		return fmt.Sprintf("%s orders in the period, fewer than min_orders = %s", f.Int(q.Orders), f.Int(q.Rules.MinOrders))
	case CheckFreshness:
		due := f.DateTime(q.Due)
		if !q.HasData {
			if nl {
				return fmt.Sprintf("geen enkele tabel heeft rijen; de gegevens moeten tot %s reiken (freshness = %s)", due, fmtDuration(q.Rules.Freshness))
			}
			return fmt.Sprintf("no table has any rows; the data must reach %s (freshness = %s)", due, fmtDuration(q.Rules.Freshness))
		}
		wm := f.Date(q.Watermark.In(q.Due.Location()))
		if nl {
			return fmt.Sprintf("de gegevens lopen tot en met %s (watermerk), niet tot %s (freshness = %s)", wm, due, fmtDuration(q.Rules.Freshness))
		}
		return fmt.Sprintf("the data ends on %s (watermark), before %s (freshness = %s)", wm, due, fmtDuration(q.Rules.Freshness))
	case CheckMaxDrop:
		drop := 1 - float64(q.Orders)/q.Base
		if nl {
			return fmt.Sprintf("%s verkopen, %s%% minder dan het gemiddelde van %s over de %d perioden ervoor (max_drop = %s)",
				f.Int(q.Orders), decimal(lang, 100*drop, 0), decimal(lang, q.Base, 1), DropBase, decimal(lang, q.Rules.MaxDrop, -1))
		}
		return fmt.Sprintf("%s orders, %s%% below the mean of %s of the %d periods before (max_drop = %s)",
			f.Int(q.Orders), decimal(lang, 100*drop, 0), decimal(lang, q.Base, 1), DropBase, decimal(lang, q.Rules.MaxDrop, -1))
	}
	return string(i.Check)
}

// Reasons returns the texts of the issues in lang, joined with "; " (Text).
func (q *Quality) Reasons(lang string) string { return q.FormatReasons(plainFormat(lang)) }

// FormatReasons returns the texts of the issues in f's language and format,
// joined with "; ".
func (q *Quality) FormatReasons(f QualityFormat) string {
	texts := make([]string, len(q.Issues))
	for i, is := range q.Issues {
		texts[i] = is.Format(f)
	}
	return strings.Join(texts, "; ")
}

// Summary describes the gate's thresholds and what the data had, in lang, with
// ISO dates and plain numbers.
func (q *Quality) Summary(lang string) string { return q.FormatSummary(plainFormat(lang)) }

// FormatSummary describes the gate's thresholds and what the data had, in f's
// language and format, for a report's notes.
func (q *Quality) FormatSummary(f QualityFormat) string {
	lang := f.Language()
	wm := "-"
	if q.HasData {
		wm = f.Date(q.Watermark.In(q.Due.Location()))
	}
	if lang == "nl" {
		return fmt.Sprintf("Gegevenscontrole: %s verkopen (min_orders = %s); watermerk %s, moet tot %s reiken (freshness = %s); max_drop = %s ten opzichte van het gemiddelde van %d perioden.",
			f.Int(q.Orders), f.Int(q.Rules.MinOrders), wm, f.DateTime(q.Due), fmtDuration(q.Rules.Freshness), decimal(lang, q.Rules.MaxDrop, -1), DropBase)
	}
	return fmt.Sprintf("Data check: %s orders (min_orders = %s); watermark %s, must reach %s (freshness = %s); max_drop = %s against the mean of %d periods.",
		f.Int(q.Orders), f.Int(q.Rules.MinOrders), wm, f.DateTime(q.Due), fmtDuration(q.Rules.Freshness), decimal(lang, q.Rules.MaxDrop, -1), DropBase)
}

// fmtDuration writes d as a Go duration that parses back to d, without zero
// trailing units: "72h", "36h30m", "90s", "0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// CheckQuality is the data-quality gate on the data of a report on plan's
// period, in zone loc. until is the instant the data should reach: the
// period's end, or for a report to date (a period that has not ended) the
// as-of time; the max_drop check is skipped for such a report.
//
//   - min_orders: the period has at least MinOrders orders;
//   - freshness: the data reaches until − Freshness: the end of the latest day
//     of any row of any table (the watermark) is at or after it;
//   - max_drop: the period's orders are at most MaxDrop below the mean of the
//     DropBase periods before it; skipped unless each of those has orders.
func CheckQuality(plan *Plan, data *Data, rules QualityRules, loc *time.Location, until time.Time) *Quality {
	p := plan.Period
	q := &Quality{Rules: rules, Watermark: data.Latest, HasData: data.Latest != NoRows}
	if m := data.Windows[p.Range()]; m != nil {
		q.Orders = m.SalesCount
	}
	q.Due = until.Add(-rules.Freshness)
	if q.HasData {
		q.Reaches = (data.Latest + 1).In(loc)
	}
	var sum int64
	q.BaseOK = true
	for i := 1; i <= DropBase; i++ {
		m := data.Windows[p.Add(-i).Range()]
		if m == nil || m.SalesCount == 0 {
			q.BaseOK = false
			break
		}
		sum += m.SalesCount
	}
	if q.BaseOK {
		q.Base = float64(sum) / DropBase
	}
	if q.Orders < rules.MinOrders {
		q.Issues = append(q.Issues, QualityIssue{Check: CheckMinOrders, q: q})
	}
	if !q.HasData || q.Reaches.Before(q.Due) {
		q.Issues = append(q.Issues, QualityIssue{Check: CheckFreshness, q: q})
	}
	_, end := p.Bounds(loc)
	complete := !until.Before(end)
	if complete && q.BaseOK && rules.MaxDrop < 1 && float64(q.Orders) < q.Base*(1-rules.MaxDrop)-1e-9*math.Max(1, q.Base) {
		q.Issues = append(q.Issues, QualityIssue{Check: CheckMaxDrop, q: q})
	}
	return q
}
