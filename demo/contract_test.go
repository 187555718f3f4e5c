package demo

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The canonical headers, spelled out here rather than taken from tables so
// that the test checks the contract, not the code against itself.
var canonicalHeaders = map[string][]string{
	"customers": {"customer_id", "name", "segment", "region", "acquired_date", "churned_date"},
	"orders":    {"order_id", "customer_id", "order_date", "amount", "cost", "recurring", "kind", "rep", "region"},
	"leads":     {"lead_id", "created_date", "qualified_date", "converted_date", "source", "rep"},
	"deals":     {"deal_id", "created_date", "closed_date", "status", "value", "rep", "customer_id"},
	"spend":     {"spend_date", "category", "amount", "channel"},
	"calls":     {"call_id", "call_date", "direction", "rep"},
}

var (
	dateRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)
)

// contractTable is one CSV table read back, with a value parser per column
// that fails the test on a value the data contract does not allow.
type contractTable struct {
	t      *testing.T
	name   string
	header []string
	rows   [][]string
	loc    *time.Location
	line   int
}

func (c *contractTable) fail(col, value, format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("%s.csv line %d column %s: %q: %s", c.name, c.line, col, value, fmt.Sprintf(format, args...))
}

// date parses a date-only value as its local midnight.
func (c *contractTable) date(col, v string) time.Time {
	c.t.Helper()
	if !dateRE.MatchString(v) {
		c.fail(col, v, "not a date")
		return time.Time{}
	}
	d, err := time.ParseInLocation(time.DateOnly, v, c.loc)
	if err != nil {
		c.fail(col, v, "%v", err)
	}
	return d
}

// timestamp parses a local timestamp without offset, which must exist in the
// zone (no DST gap), or a UTC timestamp with Z.
func (c *contractTable) timestamp(col, v string) (t time.Time, utc bool) {
	c.t.Helper()
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("2006-01-02T15:04:05Z", v)
		if err != nil {
			c.fail(col, v, "%v", err)
		}
		return t.In(c.loc), true
	}
	t, err := time.ParseInLocation(time.DateTime, v, c.loc)
	if err != nil {
		c.fail(col, v, "%v", err)
	} else if t.Format(time.DateTime) != v {
		c.fail(col, v, "is not a local time in %s", c.loc)
	}
	return t, false
}

// cents parses a decimal with at most two fraction digits.
func (c *contractTable) cents(col, v string) int64 {
	c.t.Helper()
	if !decimalRE.MatchString(v) {
		c.fail(col, v, "not a decimal with at most 2 fraction digits")
		return 0
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		c.fail(col, v, "not a decimal")
		return 0
	}
	return new(big.Rat).Mul(r, big.NewRat(100, 1)).Num().Int64()
}

func (c *contractTable) enum(col, v string, allowed ...string) {
	c.t.Helper()
	if !slices.Contains(allowed, v) {
		c.fail(col, v, "not one of %v", allowed)
	}
}

// each calls fn for every row with its values by column name.
func (c *contractTable) each(fn func(v map[string]string)) {
	for i, rec := range c.rows {
		c.line = i + 2
		v := make(map[string]string, len(rec))
		for j, h := range c.header {
			v[h] = rec[j]
		}
		fn(v)
	}
}

// uniqueIDs checks that col is non-empty, unique and matches pattern.
func (c *contractTable) uniqueIDs(col string, pattern *regexp.Regexp) map[string]int {
	c.t.Helper()
	seen := map[string]int{}
	c.each(func(v map[string]string) {
		id := v[col]
		if !pattern.MatchString(id) {
			c.fail(col, id, "does not match %s", pattern)
		}
		if _, dup := seen[id]; dup {
			c.fail(col, id, "duplicate id")
		}
		seen[id] = c.line
	})
	return seen
}

func TestCSVFollowsDataContract(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), testOptions(dir, FormatCSV, 20000))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	first := time.Date(2024, time.September, 1, 0, 0, 0, 0, loc) // 27 months ending November 2026
	end := time.Date(2026, time.November, 13, 0, 0, 0, 0, loc)   // the day after testEnd
	inRange := func(c *contractTable, col, v string, tm time.Time) {
		t.Helper()
		if tm.Before(first) || !tm.Before(end) {
			c.fail(col, v, "outside [%s, %s)", first.Format(time.DateOnly), end.Format(time.DateOnly))
		}
	}

	tabs := map[string]*contractTable{}
	for name, header := range canonicalHeaders {
		records := readCSV(t, filepath.Join(res.DataPath, name+".csv"))
		if diff := cmp.Diff(header, records[0]); diff != "" {
			t.Fatalf("%s.csv header (-want +got):\n%s", name, diff)
		}
		if got := len(records) - 1; got != res.Rows[name] {
			t.Errorf("%s.csv has %d rows, Result.Rows says %d", name, got, res.Rows[name])
		}
		tabs[name] = &contractTable{t: t, name: name, header: records[0], rows: records[1:], loc: loc}
	}

	type cust struct {
		acquired, churned time.Time
		region            string
		orders            int
	}
	customers := map[string]*cust{}
	names := map[string]bool{}
	c := tabs["customers"]
	c.uniqueIDs("customer_id", regexp.MustCompile(`^C[0-9]{6}$`))
	churned := 0
	c.each(func(v map[string]string) {
		names[v["name"]] = true
		c.enum("segment", v["segment"], "smb", "mid", "enterprise")
		c.enum("region", v["region"], "Noord", "Zuid", "Oost", "West", "Randstad")
		cu := &cust{acquired: c.date("acquired_date", v["acquired_date"]), region: v["region"]}
		inRange(c, "acquired_date", v["acquired_date"], cu.acquired)
		if s := v["churned_date"]; s != "" {
			churned++
			cu.churned = c.date("churned_date", s)
			inRange(c, "churned_date", s, cu.churned)
			if !cu.churned.After(cu.acquired) {
				c.fail("churned_date", s, "not after acquired_date %s", v["acquired_date"])
			}
		}
		customers[v["customer_id"]] = cu
	})
	for _, want := range []string{"Jansen, de Vries & Zn.", "=SUM(A1:A3)", `Café "De Gouden Leeuw"`} {
		if !names[want] {
			t.Errorf("no customer named %q", want)
		}
	}
	if share := float64(churned) / float64(len(c.rows)); share < 0.2 || share > 0.7 {
		t.Errorf("%.0f %% of the customers churned in 27 months, want roughly 2–3 %% a month", 100*share)
	}

	o := tabs["orders"]
	o.uniqueIDs("order_id", regexp.MustCompile(`^O[0-9]{7}$`))
	var (
		refunds, utc, crossing, recurring int
		last                              time.Time
		reps                              = map[string]bool{}
		revenue                           = map[string]int64{} // by local month
	)
	o.each(func(v map[string]string) {
		cu := customers[v["customer_id"]]
		if cu == nil {
			o.fail("customer_id", v["customer_id"], "no such customer")
			return
		}
		ts, isUTC := o.timestamp("order_date", v["order_date"])
		inRange(o, "order_date", v["order_date"], ts)
		if isUTC {
			utc++
			if v["order_date"][:7] != ts.Format("2006-01") {
				crossing++
			}
		}
		if ts.Before(last) {
			o.fail("order_date", v["order_date"], "before the previous order %s", last)
		}
		last = ts
		local := time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, loc)
		if local.Before(cu.acquired) || (!cu.churned.IsZero() && !local.Before(cu.churned)) {
			o.fail("order_date", v["order_date"], "customer %s is not active (acquired %s, churned %s)", v["customer_id"], cu.acquired, cu.churned)
		}
		amount, cost := o.cents("amount", v["amount"]), o.cents("cost", v["cost"])
		if amount < 0 {
			refunds++
		}
		a, cc := abs(amount), abs(cost)
		if cc*100 < a*40-50 || cc*100 > a*70+50 || (amount < 0) != (cost < 0) {
			o.fail("cost", v["cost"], "not 40–70 %% of amount %s", v["amount"])
		}
		revenue[ts.Format("2006-01")] += amount
		o.enum("recurring", v["recurring"], "true", "false")
		if v["recurring"] == "true" {
			recurring++
		}
		o.enum("kind", v["kind"], "new", "repeat", "upsell", "cross_sell")
		if (cu.orders == 0) != (v["kind"] == "new") {
			o.fail("kind", v["kind"], "order %d of customer %s", cu.orders+1, v["customer_id"])
		}
		cu.orders++
		if v["region"] != cu.region {
			o.fail("region", v["region"], "customer %s is in %s", v["customer_id"], cu.region)
		}
		reps[v["rep"]] = true
	})
	n := float64(len(o.rows))
	checkShare(t, "refunds", float64(refunds)/n, 0.02, 0.045)
	checkShare(t, "UTC order dates", float64(utc)/n, 0.01, 0.04)
	checkShare(t, "recurring orders", float64(recurring)/n, 0.05, 0.4)
	if crossing == 0 {
		t.Error("no UTC order date falls in another local month")
	}
	if len(reps) < 6 || len(reps) > 8 {
		t.Errorf("%d reps, want 6–8", len(reps))
	}
	if revenue["2025-12"] <= revenue["2025-08"] {
		t.Errorf("revenue December 2025 %d ≤ August 2025 %d, want a December peak", revenue["2025-12"], revenue["2025-08"])
	}
	if revenue["2026-10"] <= revenue["2024-10"] {
		t.Errorf("revenue October 2026 %d ≤ October 2024 %d, want growth", revenue["2026-10"], revenue["2024-10"])
	}

	l := tabs["leads"]
	l.uniqueIDs("lead_id", regexp.MustCompile(`^L[0-9]{7}$`))
	converted := 0
	l.each(func(v map[string]string) {
		created := l.date("created_date", v["created_date"])
		inRange(l, "created_date", v["created_date"], created)
		var qualified time.Time
		if s := v["qualified_date"]; s != "" {
			qualified = l.date("qualified_date", s)
			inRange(l, "qualified_date", s, qualified)
			if qualified.Before(created) {
				l.fail("qualified_date", s, "before created_date")
			}
		}
		if s := v["converted_date"]; s != "" {
			converted++
			d := l.date("converted_date", s)
			inRange(l, "converted_date", s, d)
			if qualified.IsZero() || d.Before(qualified) {
				l.fail("converted_date", s, "not on or after qualified_date %q", v["qualified_date"])
			}
		}
		l.enum("source", v["source"], "web", "referral", "event", "outbound")
	})
	checkShare(t, "converted leads", float64(converted)/float64(len(l.rows)), 0.12, 0.28)
	if len(l.rows) != len(o.rows)/8 {
		t.Errorf("%d leads, want orders/8 = %d", len(l.rows), len(o.rows)/8)
	}

	d := tabs["deals"]
	d.uniqueIDs("deal_id", regexp.MustCompile(`^D[0-9]{6}$`))
	d.each(func(v map[string]string) {
		created := d.date("created_date", v["created_date"])
		inRange(d, "created_date", v["created_date"], created)
		d.enum("status", v["status"], "open", "won", "lost")
		closedSet := v["closed_date"] != ""
		if closedSet != (v["status"] != "open") {
			d.fail("closed_date", v["closed_date"], "with status %s", v["status"])
		}
		if closedSet {
			closed := d.date("closed_date", v["closed_date"])
			inRange(d, "closed_date", v["closed_date"], closed)
			if days := int(closed.Sub(created).Hours()/24 + 0.5); days < 5 || days > 120 {
				d.fail("closed_date", v["closed_date"], "cycle of %d days", days)
			}
		}
		if d.cents("value", v["value"]) < 0 {
			d.fail("value", v["value"], "negative")
		}
		if id := v["customer_id"]; id != "" && customers[id] == nil {
			d.fail("customer_id", id, "no such customer")
		}
	})

	s := tabs["spend"]
	perMonth := map[string]int{}
	s.each(func(v map[string]string) {
		day := s.date("spend_date", v["spend_date"])
		inRange(s, "spend_date", v["spend_date"], day)
		perMonth[v["spend_date"][:7]]++
		s.enum("category", v["category"], "marketing", "sales")
		s.enum("channel", v["channel"], "google", "linkedin", "events", "salaries", "tools")
		if s.cents("amount", v["amount"]) <= 0 {
			s.fail("amount", v["amount"], "not positive")
		}
	})
	if len(perMonth) != 27 {
		t.Errorf("spend in %d months, want 27", len(perMonth))
	}
	for m, n := range perMonth {
		if n < 3 {
			t.Errorf("spend has %d rows in %s, want several", n, m)
		}
	}

	k := tabs["calls"]
	k.uniqueIDs("call_id", regexp.MustCompile(`^CL[0-9]{7}$`))
	k.each(func(v map[string]string) {
		ts, _ := k.timestamp("call_date", v["call_date"])
		inRange(k, "call_date", v["call_date"], ts)
		k.enum("direction", v["direction"], "inbound", "outbound")
	})
}

func checkShare(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%.1f %% %s, want %.1f–%.1f %%", 100*got, what, 100*lo, 100*hi)
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLocalTimestampsNameOneInstant checks, in zones whose DST changes fall
// at different hours, that no local timestamp is skipped or repeated by a
// change, so that it names exactly one instant.
func TestLocalTimestampsNameOneInstant(t *testing.T) {
	for _, zone := range []string{"Europe/Amsterdam", "America/New_York", "America/Nuuk", "Australia/Lord_Howe", "Asia/Kolkata"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Skip(err)
			}
			opt := testOptions(t.TempDir(), FormatCSV, 30000)
			opt.Timezone = zone
			res, err := Generate(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			for table, col := range map[string]int{"orders": 2, "calls": 1} {
				for i, rec := range readCSV(t, filepath.Join(res.DataPath, table+".csv"))[1:] {
					v := rec[col]
					if strings.HasSuffix(v, "Z") {
						continue
					}
					ts, err := time.ParseInLocation(time.DateTime, v, loc)
					if err != nil || ts.Format(time.DateTime) != v {
						t.Errorf("%s.csv line %d: %q does not exist in %s", table, i+2, v, zone)
						continue
					}
					for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
						if ts.Add(d).Format(time.DateTime) == v || ts.Add(-d).Format(time.DateTime) == v {
							t.Errorf("%s.csv line %d: %q is ambiguous in %s", table, i+2, v, zone)
						}
					}
				}
			}
		})
	}
}
