package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// [quality] overrides the defaults and a job's [jobs.quality] overrides
// [quality], key by key.
func TestQualityOf(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(string(base), "[source]", "[quality]\nmin_orders = 10\nfreshness = \"0s\"\n\n[source]", 1) + `
[jobs.quality]
max_drop = 0.8
freshness = "24h"

[[jobs]]
name = "weekly"
period = "week"
schedule = "0 7 * * 1"
`
	c, err := Parse([]byte(data), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		job  string
		want QualityRules
	}{
		{"monthly", QualityRules{MinOrders: 10, Freshness: 24 * time.Hour, MaxDrop: 0.8}},
		{"weekly", QualityRules{MinOrders: 10, Freshness: 0, MaxDrop: DefaultMaxDrop}},
	}
	for _, tt := range tests {
		j, err := c.Job(tt.job)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.QualityOf(j); got != tt.want {
			t.Errorf("QualityOf(%s) = %+v, want %+v", tt.job, got, tt.want)
		}
	}
	if got := (&Config{}).QualityOf(&Job{}); got != (QualityRules{MinOrders: 1, Freshness: 72 * time.Hour, MaxDrop: 0.5}) {
		t.Errorf("defaults = %+v", got)
	}
}

// Every bad threshold is a problem with its key path, for [quality] and for a job.
func TestQualityProblems(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(string(base), "[source]", "[quality]\nmin_orders = -1\nmax_drop = 0.5\n\n[source]", 1) + `
[jobs.quality]
max_drop = 1.5
freshness = "-1h"
`
	_, err = Parse([]byte(data), "testdata")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v, want a ValidationError", err)
	}
	want := []string{
		"quality.min_orders: -1 is not a number of orders; want 0 or more (0 turns the check off)",
		"jobs[monthly].quality.freshness: -1h is negative; want a duration of 0 or more, such as \"72h\"",
		"jobs[monthly].quality.max_drop: must be between 0 and 1 (a fraction: 0.5 = half), not 1.5",
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Key+": "+p.Message)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
