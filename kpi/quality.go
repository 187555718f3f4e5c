package kpi

import (
	"fmt"
	"math"
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

// Text says in lang ("en" or "nl") what the check found.
func (i QualityIssue) Text(lang string) string {
	q := i.q
	nl := lang == "nl"
	switch i.Check {
	case CheckMinOrders:
		if nl {
			return fmt.Sprintf("%d orders in de periode, minder dan min_orders = %d", q.Orders, q.Rules.MinOrders)
		}
		return fmt.Sprintf("%d orders in the period, fewer than min_orders = %d", q.Orders, q.Rules.MinOrders)
	case CheckFreshness:
		due := q.Due.Format("2006-01-02 15:04 MST")
		if !q.HasData {
			if nl {
				return fmt.Sprintf("geen enkele tabel heeft rijen; de gegevens moeten tot %s reiken (freshness = %s)", due, fmtDuration(q.Rules.Freshness))
			}
			return fmt.Sprintf("no table has any rows; the data must reach %s (freshness = %s)", due, fmtDuration(q.Rules.Freshness))
		}
		if nl {
			return fmt.Sprintf("de gegevens lopen tot en met %s (watermerk), niet tot %s (freshness = %s)", q.Watermark, due, fmtDuration(q.Rules.Freshness))
		}
		return fmt.Sprintf("the data ends on %s (watermark), before %s (freshness = %s)", q.Watermark, due, fmtDuration(q.Rules.Freshness))
	case CheckMaxDrop:
		drop := 1 - float64(q.Orders)/q.Base
		if nl {
			return fmt.Sprintf("%d orders, %.0f%% minder dan het gemiddelde van %.1f over de %d perioden ervoor (max_drop = %g)", q.Orders, 100*drop, q.Base, DropBase, q.Rules.MaxDrop)
		}
		return fmt.Sprintf("%d orders, %.0f%% below the mean of %.1f of the %d periods before (max_drop = %g)", q.Orders, 100*drop, q.Base, DropBase, q.Rules.MaxDrop)
	}
	return string(i.Check)
}

// Reasons returns the texts of the issues in lang, joined with "; ".
func (q *Quality) Reasons(lang string) string {
	texts := make([]string, len(q.Issues))
	for i, is := range q.Issues {
		texts[i] = is.Text(lang)
	}
	return strings.Join(texts, "; ")
}

// Summary describes the gate's thresholds and what the data had, in lang, for
// a report's notes.
func (q *Quality) Summary(lang string) string {
	wm := "-"
	if q.HasData {
		wm = q.Watermark.String()
	}
	if lang == "nl" {
		return fmt.Sprintf("Gegevenscontrole: %d orders (min_orders = %d); watermerk %s, moet tot %s reiken (freshness = %s); max_drop = %g ten opzichte van het gemiddelde van %d perioden.",
			q.Orders, q.Rules.MinOrders, wm, q.Due.Format("2006-01-02 15:04 MST"), fmtDuration(q.Rules.Freshness), q.Rules.MaxDrop, DropBase)
	}
	return fmt.Sprintf("Data check: %d orders (min_orders = %d); watermark %s, must reach %s (freshness = %s); max_drop = %g against the mean of %d periods.",
		q.Orders, q.Rules.MinOrders, wm, q.Due.Format("2006-01-02 15:04 MST"), fmtDuration(q.Rules.Freshness), q.Rules.MaxDrop, DropBase)
}

// fmtDuration writes d in whole days when it is one ("3d"), else as Go does.
func fmtDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
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
