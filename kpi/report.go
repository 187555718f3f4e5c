package kpi

import (
	"math/big"
	"time"

	"github.com/kpireport/kpireport/period"
)

// Status is how a KPI value compares with its target.
type Status string

// The target statuses.
const (
	StatusMet    Status = "met"
	StatusNear   Status = "near"
	StatusMissed Status = "missed"
	StatusNone   Status = "none"
	// StatusInProgress: a target is set but the report is "to date" (Report.AsOf):
	// a period in progress has neither met nor missed it. Shown as n/a with that
	// reason ("n/a: period in progress").
	StatusInProgress Status = "in_progress"
)

// Point is one period of a trend.
type Point struct {
	Period period.Period
	Value  Value
}

// Result is one KPI of a report with its comparisons.
type Result struct {
	Def       Def
	Value     Value    // value(P)
	Previous  Value    // value(P−1)
	Change    Value    // value − previous, when both are defined
	ChangeRel Value    // change / |previous|, when previous ≠ 0
	YearAgo   Value    // value(P−1y)
	Target    *big.Rat // nil when no target is set
	Status    Status
	Trend     []Point // the TrendLength periods ending with P, oldest first
}

// Report is the computed model of one report: everything renderers and mails show.
// Renderers take a Report only; they never read sources.
type Report struct {
	Job         string
	Company     string
	Currency    string // ISO 4217 code
	Lang        string // "en" or "nl"
	Location    *time.Location
	Period      period.Period
	Start, End  time.Time // local midnights: the period is [Start, End)
	GeneratedAt time.Time
	KPIs        []Result // in the order of Defs
	Current     Measures // base measures of P
	Previous    Measures // of P−1
	YearAgo     Measures // of P−1y
	ByRep       []DimMeasures
	ByRegion    []DimMeasures
	Has         Availability
	// AsOf is set when the period had not ended at GeneratedAt: the report is
	// "to date", up to and including AsOf's day. Zero for a complete period.
	AsOf time.Time
	// Quality is the data-quality gate's verdict on the data; nil when the
	// gate did not run.
	Quality  *Quality
	Warnings []Warning // the data's (Data.Warnings)
	// DataStart is the first period of the trend with any data, when periods of the
	// trend come before it (their trend values are n/a, BeforeData); nil otherwise.
	DataStart *period.Period
}

// Incomplete reports whether the report covers its period only to date.
func (r *Report) Incomplete() bool { return !r.AsOf.IsZero() }

// KPI returns the result of the KPI id, or false.
func (r *Report) KPI(id string) (Result, bool) {
	for _, k := range r.KPIs {
		if k.Def.ID == id {
			return k, true
		}
	}
	return Result{}, false
}
