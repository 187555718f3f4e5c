package config

import (
	"math"
	"time"
)

// Defaults of the data-quality gate ([quality]).
const (
	DefaultMinOrders = 1
	DefaultFreshness = 72 * time.Hour // 3 days: a quiet weekend does not hold a weekly report
	DefaultMaxDrop   = 0.5
)

// Quality is the data-quality gate a run passes before it mails a report:
// [quality], and a job's [jobs.quality] whose keys override it one by one. A
// key left out is nil and means the default (or, in a job, the [quality] value).
type Quality struct {
	// MinOrders is the fewest orders the period must have; 0 turns the check off.
	MinOrders *int64 `toml:"min_orders"`
	// Freshness is how long before the period's end the latest timestamp of any
	// table (the watermark) may be; "0s" for a business that sells every day.
	Freshness *Duration `toml:"freshness"`
	// MaxDrop is the largest fall of the period's order count below the mean of
	// the 3 periods before it, as a fraction (0.5 = half); 1 turns the check off.
	MaxDrop *float64 `toml:"max_drop"`
}

// QualityRules are the resolved thresholds of the gate of one job.
type QualityRules struct {
	MinOrders int64
	Freshness time.Duration
	MaxDrop   float64
}

// QualityOf returns the gate of job j: the defaults, overridden by [quality],
// overridden by the job's [jobs.quality].
func (c *Config) QualityOf(j *Job) QualityRules {
	r := QualityRules{MinOrders: DefaultMinOrders, Freshness: DefaultFreshness, MaxDrop: DefaultMaxDrop}
	for _, q := range []Quality{c.Quality, j.Quality} {
		if q.MinOrders != nil {
			r.MinOrders = *q.MinOrders
		}
		if q.Freshness != nil {
			r.Freshness = q.Freshness.Duration
		}
		if q.MaxDrop != nil {
			r.MaxDrop = *q.MaxDrop
		}
	}
	return r
}

// checkQuality reports the problems of the gate settings q at key ("quality"
// or "jobs[NAME].quality").
func checkQuality(ps *problems, key string, q Quality) {
	if q.MinOrders != nil && *q.MinOrders < 0 {
		ps.add(key+".min_orders", "%d is not a number of orders; want 0 or more (0 turns the check off)", *q.MinOrders)
	}
	if q.Freshness != nil && q.Freshness.Duration < 0 {
		ps.add(key+".freshness", "%v is negative; want a duration of 0 or more, such as %q", q.Freshness, "72h")
	}
	if v := q.MaxDrop; v != nil && (math.IsNaN(*v) || *v < 0 || *v > 1) {
		ps.add(key+".max_drop", "must be between 0 and 1 (a fraction: 0.5 = half), not %v", *v)
	}
}
