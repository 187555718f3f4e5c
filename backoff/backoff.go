// Package backoff is kpireport's one exponential backoff: a wait that starts at a
// base, doubles with every further try up to a cap, and is spread at random by a
// jitter. Mail delivery waits by it between the attempts of one run, config
// validation counts its longest total against a job's timeout, and the daemon waits
// by it before it runs a failed period again.
package backoff

import (
	"math"
	"math/rand/v2"
	"time"
)

// Jitter is the fraction by which a wait is spread at random, either way, unless a
// caller says otherwise.
const Jitter = 0.2

// Wait returns the wait before retry n (1 for the first): base·2^(n−1), at most
// max. A max below base counts as base; base ≤ 0 or n < 1 is no wait.
func Wait(base, max time.Duration, n int) time.Duration {
	if base <= 0 || n < 1 {
		return 0
	}
	if max < base {
		max = base
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		if d > max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}

// Spread returns d made up to jitter longer or shorter, at random; jitter ≤ 0
// leaves it as it is.
func Spread(d time.Duration, jitter float64) time.Duration {
	if jitter <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + jitter*(2*rand.Float64()-1)))
}

// Longest returns the longest that the waits before retries 1 to n can take
// together when each is spread by up to jitter: what a timeout must leave for them.
// It does not overflow: a total beyond time.Duration is its largest value.
func Longest(base, max time.Duration, n int, jitter float64) time.Duration {
	if base <= 0 || n < 1 {
		return 0
	}
	if max < base {
		max = base
	}
	// In float seconds, so that a large n cannot overflow.
	var total float64
	for i := 1; i <= n; i++ {
		w := Wait(base, max, i)
		if w == max {
			total += float64(n-i+1) * max.Seconds()
			break
		}
		total += w.Seconds()
	}
	total *= 1 + math.Max(jitter, 0)
	if total >= float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(total * float64(time.Second))
}
