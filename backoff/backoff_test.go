package backoff

import (
	"math"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	tests := []struct {
		base, max time.Duration
		n         int
		want      time.Duration
	}{
		{time.Second, 5 * time.Second, 1, time.Second},
		{time.Second, 5 * time.Second, 2, 2 * time.Second},
		{time.Second, 5 * time.Second, 3, 4 * time.Second},
		{time.Second, 5 * time.Second, 4, 5 * time.Second}, // 8s, capped
		{10 * time.Minute, 6 * time.Hour, 6, 320 * time.Minute},
		{10 * time.Minute, 6 * time.Hour, 7, 6 * time.Hour}, // 640m, capped
		{10 * time.Minute, 6 * time.Hour, 1000, 6 * time.Hour},
		{12 * time.Hour, 6 * time.Hour, 1, 12 * time.Hour}, // a max below base counts as base
		{time.Hour, time.Duration(math.MaxInt64), 100, time.Duration(math.MaxInt64)},
		{0, time.Hour, 3, 0},
		{time.Second, time.Hour, 0, 0},
	}
	for _, tt := range tests {
		if got := Wait(tt.base, tt.max, tt.n); got != tt.want {
			t.Errorf("Wait(%v, %v, %d) = %v, want %v", tt.base, tt.max, tt.n, got, tt.want)
		}
	}
}

func TestSpread(t *testing.T) {
	if got := Spread(30*time.Second, 0); got != 30*time.Second {
		t.Errorf("Spread without jitter = %v", got)
	}
	lo, hi := time.Hour, time.Duration(0)
	for range 1000 {
		w := Spread(30*time.Second, Jitter)
		lo, hi = min(lo, w), max(hi, w)
	}
	if lo < 24*time.Second || hi > 36*time.Second || hi-lo < 6*time.Second {
		t.Errorf("Spread(30s, 0.2) over 1000 draws: %v to %v, want within 24s to 36s and spread out", lo, hi)
	}
}

func TestLongest(t *testing.T) {
	tests := []struct {
		name      string
		base, max time.Duration
		n         int
		want      time.Duration
	}{
		{"four retries", 30 * time.Second, 10 * time.Minute, 4, 9 * time.Minute},    // (30+60+120+240) s × 1.2
		{"five retries", 30 * time.Second, 10 * time.Minute, 5, 1116 * time.Second}, // (450+480) s × 1.2
		{"capped", 30 * time.Second, time.Minute, 4, 252 * time.Second},             // (30+60+60+60) s × 1.2
		{"base at the cap", time.Minute, time.Minute, 3, 216 * time.Second},
		{"no retries", 30 * time.Second, 10 * time.Minute, 0, 0},
		{"negative retries", 30 * time.Second, 10 * time.Minute, -1, 0},
		{"no base", 0, 10 * time.Minute, 3, 0},
		{"max below base counts as base", time.Minute, time.Second, 2, 144 * time.Second},
		{"huge, without overflow", time.Hour, 24 * time.Hour, 1 << 40, time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Longest(tt.base, tt.max, tt.n, Jitter); got != tt.want {
				t.Errorf("Longest(%v, %v, %d, %v) = %v, want %v", tt.base, tt.max, tt.n, Jitter, got, tt.want)
			}
		})
	}
}
