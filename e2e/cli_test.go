package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// commands are kpireport's commands, as `kpireport --help` must list them.
var commands = []string{"kpis", "generate", "run", "backfill", "history", "next", "validate", "demo"}

// TestCLI checks kpireport's command line as a user meets it: help, usage errors
// (exit 2), config and data errors (exit 1) and what each command prints.
func TestCLI(t *testing.T) {
	t.Parallel()

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		res := mustRun(t, nil, "--help")
		for _, c := range commands {
			if !strings.Contains(res.stdout, "\n  "+c+" ") {
				t.Errorf("--help does not list %s:\n%s", c, res.stdout)
			}
		}
		for _, c := range commands {
			for _, args := range [][]string{{c, "--help"}, {"help", c}} {
				res := mustRun(t, nil, args...)
				if !strings.HasPrefix(res.stdout, "Usage: kpireport "+c) {
					t.Errorf("%s: stdout does not start with the usage of %s:\n%s", strings.Join(args, " "), c, res.stdout)
				}
				if c != "demo" && !strings.Contains(res.stdout, "-config") {
					t.Errorf("%s: the usage does not show -config:\n%s", strings.Join(args, " "), res.stdout)
				}
				if res.stderr != "" {
					t.Errorf("%s: stderr is not empty:\n%s", strings.Join(args, " "), res.stderr)
				}
			}
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		tests := []struct {
			args []string
			want string // in the first line of stderr
		}{
			{[]string{"bogus"}, `unknown command "bogus"`},
			{[]string{"kpis", "--bogus"}, "flag provided but not defined: -bogus"},
			{[]string{"generate", "--period"}, "flag needs an argument: -period"},
			{[]string{"kpis"}, "--config is required"},
			{[]string{"generate"}, "--config is required"},
			{[]string{"run"}, "--config is required"},
			{[]string{"backfill", "--from", "2026-07", "--to", "2026-09"}, "--config is required"},
			{[]string{"history"}, "--config is required"},
			{[]string{"next"}, "--config is required"},
			{[]string{"validate"}, "--config is required"},
			{[]string{"generate", "--config", cfg, "--job", "monthly", "--resend"}, "--resend needs --send"},
			{[]string{"kpis", "--config", cfg, "--job", "nope"}, `unknown job "nope"`},
			{[]string{"kpis", "--config", cfg, "--job", "monthly", "--period", "2026-13"}, `"2026-13"`},
			{[]string{"kpis", "--config", cfg, "--job", "monthly", "extra"}, `unexpected argument "extra"`},
		}
		for _, tt := range tests {
			res := kpireport(t, nil, tt.args...)
			first, _, _ := strings.Cut(res.stderr, "\n")
			if res.code != 2 || !strings.HasPrefix(first, "kpireport") || !strings.Contains(first, tt.want) {
				t.Errorf("want exit 2 and a first line of stderr with %q, got %s", tt.want, res)
			}
			if res.stdout != "" {
				t.Errorf("kpireport %s: stdout is not empty:\n%s", strings.Join(tt.args, " "), res.stdout)
			}
		}
	})

	t.Run("config errors", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Dir(demoCompany(t, "csv"))
		tests := []struct {
			name, config string
			keys         []string // each on a line of its own
		}{
			{
				name: "invalid values",
				config: "[report]\ncompany = \"\"\ntimezone = \"Europe/Amsterdm\"\n[source]\ntype = \"csv\"\ndir = \"data\"\n" +
					"[[jobs]]\nname = \"m\"\nperiod = \"month\"\nschedule = \"0 7 * *\"\n",
				keys: []string{"report.company", "report.timezone", "jobs[m].schedule"},
			},
			{
				name:   "unknown key",
				config: "[report]\ncompany = \"X\"\n[source]\ntype = \"csv\"\ndir = \"data\"\ntabel = \"orders\"\n[[jobs]]\nname = \"m\"\nperiod = \"month\"\nschedule = \"0 7 1 * *\"\n",
				keys:   []string{"source.tabel"},
			},
		}
		for _, tt := range tests {
			cfg := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".toml")
			if err := os.WriteFile(cfg, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"validate", "kpis", "next"} {
				res := kpireport(t, nil, cmd, "--config", cfg)
				if res.code != 1 {
					t.Errorf("%s, %s: want exit 1, got %s", tt.name, cmd, res)
					continue
				}
				lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
				for _, key := range tt.keys {
					n := 0
					for _, l := range lines {
						if strings.Contains(l, cfg+": "+key+": ") || strings.Contains(l, filepath.Base(cfg)+": "+key+": ") {
							n++
						}
					}
					if n != 1 {
						t.Errorf("%s, %s: want one line naming %s, got:\n%s", tt.name, cmd, key, res.stderr)
					}
				}
				if len(lines) != len(tt.keys) {
					t.Errorf("%s, %s: want %d lines on stderr, one per problem, got:\n%s", tt.name, cmd, len(tt.keys), res.stderr)
				}
			}
		}
	})

	t.Run("kpis json", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		res := mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly", "--period", "2026-10", "--format", "json")
		checkKPIsJSON(t, res.stdout)
	})

	t.Run("csv and sqlite give the same kpis", func(t *testing.T) {
		t.Parallel()
		csvCfg, sqliteCfg := demoCompany(t, "csv"), demoCompany(t, "sqlite")
		for _, jp := range [][2]string{{"monthly", "2026-10"}, {"weekly", "2026-W43"}, {"quarterly", "2026-Q3"}} {
			args := []string{"kpis", "--job", jp[0], "--period", jp[1], "--format", "json", "--config"}
			fromCSV := mustRun(t, nil, append(args, csvCfg)...)
			fromSQLite := mustRun(t, nil, append(args, sqliteCfg)...)
			if diff := cmp.Diff(fromCSV.stdout, fromSQLite.stdout); diff != "" {
				t.Errorf("%s %s: the JSON of the CSV and the SQLite demo differ (-csv +sqlite):\n%s", jp[0], jp[1], diff)
			}
		}
	})

	t.Run("validate", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		if res := mustRun(t, nil, "validate", "--config", cfg); !strings.Contains(res.stdout, "ok") {
			t.Errorf("validate: stdout does not say ok: %s", res)
		}
		setCSVCell(t, filepath.Join(filepath.Dir(cfg), "data", "orders.csv"), 5, "amount", "12.3.4")
		res := kpireport(t, nil, "validate", "--config", cfg)
		if res.code != 1 {
			t.Fatalf("validate with a bad row: want exit 1, got %s", res)
		}
		for _, want := range []string{"orders.csv", "line 5", "column amount", `"12.3.4"`} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("validate with a bad row: stderr does not name %s:\n%s", want, res.stderr)
			}
		}
		// Bad rows in three tables: each is reported, on a line of its own.
		setCSVCell(t, filepath.Join(filepath.Dir(cfg), "data", "customers.csv"), 3, "acquired_date", "2026-13-01")
		setCSVCell(t, filepath.Join(filepath.Dir(cfg), "data", "deals.csv"), 7, "status", "maybe")
		res = kpireport(t, nil, "validate", "--config", cfg)
		for _, want := range []string{
			`orders.csv line 5 column amount: "12.3.4"`,
			`customers.csv line 3 column acquired_date: "2026-13-01"`,
			`deals.csv line 7 column status: "maybe"`,
		} {
			if res.code != 1 || !strings.Contains(res.stderr, want) {
				t.Errorf("validate with bad rows in three tables: want exit 1 and %s, got %s", want, res)
			}
		}
		if n := strings.Count(strings.TrimSpace(res.stderr), "\n") + 1; n != 3 {
			t.Errorf("validate with bad rows in three tables: %d lines on stderr, want 3:\n%s", n, res.stderr)
		}
	})

	t.Run("validate broken template", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		dir := filepath.Join(filepath.Dir(cfg), "tpl")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		month := "title = { en = \"Report\", nl = \"Rapport\" }\n\n[intro]\n" +
			"en = \"\"\"First line \\\n  then {{.Strat}}\"\"\"\nnl = \"x\"\n\n[[section]]\nkind = \"cards\"\n"
		if err := os.WriteFile(filepath.Join(dir, "month.toml"), []byte(month), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "email.txt.tmpl"), []byte("Hello\n{{.Compnay}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		editConfig(t, cfg, "[report]\n", "[report]\ntemplate_dir = \"tpl\"\n")
		res := kpireport(t, nil, "validate", "--config", cfg)
		if res.code != 1 {
			t.Fatalf("validate with a broken template: want exit 1, got %s", res)
		}
		for _, want := range []string{"jobs[monthly]", filepath.Join(dir, "month.toml") + " line 5 (intro.en)", "can't evaluate field Strat",
			filepath.Join(dir, "email.txt.tmpl"), "email.txt.tmpl:2", "Compnay"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("validate with a broken template: stderr does not name %s:\n%s", want, res.stderr)
			}
		}
	})

	t.Run("next", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		before := time.Now()
		res := mustRun(t, nil, "next", "--config", cfg)
		checkNext(t, res.stdout, before)
	})

	t.Run("backfill and history", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		if res := mustRun(t, nil, "history", "--config", cfg); strings.TrimSpace(res.stdout) != "no runs yet" {
			t.Errorf("history of a new ledger: want %q, got %s", "no runs yet", res)
		}
		res := mustRun(t, nil, "backfill", "--config", cfg, "--job", "monthly", "--from", "2026-07", "--to", "2026-09")
		reports := filepath.Join(filepath.Dir(cfg), "reports")
		periods := []string{"2026-07", "2026-08", "2026-09"}
		for _, p := range periods {
			for ext, magic := range map[string]string{".xlsx": "PK\x03\x04", ".pdf": "%PDF-"} {
				path := filepath.Join(reports, "monthly-"+p+ext)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("backfill: %v", err)
					continue
				}
				if !bytes.HasPrefix(b, []byte(magic)) {
					t.Errorf("backfill: %s does not start with %q", path, magic)
				}
				if !strings.Contains(res.stdout, path) {
					t.Errorf("backfill: stdout does not list %s:\n%s", path, res.stdout)
				}
			}
		}
		entries, _ := os.ReadDir(reports)
		if len(entries) != 6 {
			t.Errorf("backfill: %d entries in %s, want 6 (3 periods × xlsx, pdf): %v", len(entries), reports, entries)
		}
		for _, args := range [][]string{nil, {"--job", "monthly"}} {
			hist := historyOf(t, nil, cfg, args...)
			var got []string
			for _, r := range hist.Runs {
				got = append(got, r.Period)
				if r.Job != "monthly" || r.Trigger != "manual" || r.Status != "succeeded" || r.Attempt != 1 {
					t.Errorf("history %v: want a succeeded first manual run of monthly: %s", args, r.Line)
				}
			}
			if want := []string{"2026-09", "2026-08", "2026-07"}; !slices.Equal(got, want) {
				t.Errorf("history %v: periods %v, want %v, newest first", args, got, want)
			}
			if len(hist.Deliveries) != 0 {
				t.Errorf("history %v: a backfill without --send lists deliveries: %+v", args, hist.Deliveries)
			}
			for _, r := range hist.Runs {
				checkHistoryFiles(t, hist.filesOf(r.ID), reports, "monthly-"+r.Period)
			}
		}
		if res := mustRun(t, nil, "history", "--config", cfg, "--job", "weekly"); strings.TrimSpace(res.stdout) != "no runs yet" {
			t.Errorf("history --job weekly: want %q, got %s", "no runs yet", res)
		}
	})
}

// kpisJSON is the shape docs/kpis.md ("JSON output") documents for
// `kpireport kpis --format json`.
type kpisJSON struct {
	Job    string `json:"job"`
	Period struct {
		Label string `json:"label"`
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"period"`
	KPIs []struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Unit     string   `json:"unit"`
		Value    *float64 `json:"value"`
		Reason   *string  `json:"reason"`
		Previous *float64 `json:"previous"`
		Change   *float64 `json:"change"`
		YearAgo  *float64 `json:"year_ago"`
		Target   *float64 `json:"target"`
		Status   string   `json:"status"`
		Trend    []struct {
			Period string   `json:"period"`
			Value  *float64 `json:"value"`
		} `json:"trend"`
	} `json:"kpis"`
	Measures map[string]float64 `json:"measures"`
}

// checkKPIsJSON checks the JSON of the monthly job for October 2026 against
// docs/kpis.md: no keys beyond the documented ones, every KPI id, the documented
// units and statuses, a reason exactly when the value is n/a, 12 trend periods
// ending with the period, and the base measures.
func checkKPIsJSON(t *testing.T, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got kpisJSON
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("kpis --format json does not match the documented shape: %v\n%s", err, out)
	}
	if got.Job != "monthly" {
		t.Errorf("job %q, want monthly", got.Job)
	}
	if p := got.Period; p.Label != "2026-10" || p.Start != "2026-10-01T00:00:00+02:00" || p.End != "2026-11-01T00:00:00+01:00" {
		t.Errorf("period %+v, want 2026-10 from 2026-10-01T00:00:00+02:00 to 2026-11-01T00:00:00+01:00", p)
	}
	wantIDs := []string{"aov", "arpc", "avg_sales_cycle_days", "bookings", "cac", "churn_rate", "clv",
		"lead_conversion_rate", "mrr", "pipeline_velocity", "profit_margin", "qualified_leads",
		"retention_rate", "revenue", "sales", "sales_calls", "sales_growth", "upsell_cross_sell_revenue"}
	var ids []string
	wantTrend := []string{"2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
		"2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	for _, k := range got.KPIs {
		ids = append(ids, k.ID)
		if k.Name == "" {
			t.Errorf("%s: no name", k.ID)
		}
		if !slices.Contains([]string{"money", "ratio", "days", "count", "money_per_day"}, k.Unit) {
			t.Errorf("%s: unit %q is not documented", k.ID, k.Unit)
		}
		if !slices.Contains([]string{"met", "near", "missed", "none"}, k.Status) {
			t.Errorf("%s: status %q is not documented", k.ID, k.Status)
		}
		if k.Status != "none" && (k.Target == nil || k.Value == nil) {
			t.Errorf("%s: status %s without a target and a value", k.ID, k.Status)
		}
		if (k.Value == nil) != (k.Reason != nil) {
			t.Errorf("%s: value %v with reason %v; a reason must be given exactly when the value is null", k.ID, k.Value, k.Reason)
		}
		var trend []string
		for _, p := range k.Trend {
			trend = append(trend, p.Period)
		}
		if !slices.Equal(trend, wantTrend) {
			t.Errorf("%s: trend periods %v, want %v", k.ID, trend, wantTrend)
		} else if last := k.Trend[11].Value; (last == nil) != (k.Value == nil) || last != nil && *last != *k.Value {
			t.Errorf("%s: the trend's last value %v is not the value %v", k.ID, last, k.Value)
		}
		if k.ID == "revenue" && (k.Value == nil || got.Measures["revenue"] != *k.Value) {
			t.Errorf("revenue %v differs from measures.revenue %v", k.Value, got.Measures["revenue"])
		}
	}
	slices.Sort(ids)
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("KPI ids (-want +got):\n%s", diff)
	}
	wantMeasures := []string{"buyers", "cost", "customers_end", "customers_lost", "customers_start", "cycle_days",
		"expansion_revenue", "gross_sales", "leads_converted", "leads_created", "new_customers", "qualified_leads",
		"recurring_revenue", "revenue", "sales_calls", "sales_count", "spend", "won_deals", "won_value"}
	var measures []string
	for m := range got.Measures {
		measures = append(measures, m)
	}
	slices.Sort(measures)
	if diff := cmp.Diff(wantMeasures, measures); diff != "" {
		t.Errorf("measures, as docs/kpis.md lists the base measures (-want +got):\n%s", diff)
	}
}

// setCSVCell sets the column named col of line (1 = the header) of a simple CSV file
// (no quoted fields) to value.
func setCSVCell(t *testing.T, path string, line int, col, value string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	i := slices.Index(strings.Split(strings.TrimSuffix(lines[0], "\r"), ","), col)
	if i < 0 || len(lines) < line {
		t.Fatalf("%s: no column %s or line %d", path, col, line)
	}
	cells := strings.Split(lines[line-1], ",")
	cells[i] = value
	lines[line-1] = strings.Join(cells, ",")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkNext checks the output of `kpireport next` on the demo config: one line per
// job with its schedule, the next time it fires in Europe/Amsterdam and the period
// that run reports.
func checkNext(t *testing.T, out string, now time.Time) {
	t.Helper()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("next: want a header and one line per job (3), got:\n%s", out)
	}
	header := lines[0]
	at, reportsAt := strings.Index(header, "NEXT RUN"), strings.Index(header, "REPORTS")
	if !strings.HasPrefix(header, "JOB") || at < 0 || reportsAt < at {
		t.Fatalf("next: header %q lacks JOB, NEXT RUN, REPORTS", header)
	}
	const layout = "Mon 2006-01-02 15:04 MST"
	jobs := []struct {
		name    string
		within  time.Duration
		matches func(time.Time) bool
		period  func(time.Time) string
	}{
		{"monthly", 32 * 24 * time.Hour, func(t time.Time) bool { return t.Day() == 1 },
			func(t time.Time) string { return t.AddDate(0, -1, 0).Format("2006-01") }},
		{"weekly", 7 * 24 * time.Hour, func(t time.Time) bool { return t.Weekday() == time.Monday },
			func(t time.Time) string { y, w := t.AddDate(0, 0, -7).ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
		{"quarterly", 93 * 24 * time.Hour, func(t time.Time) bool { return t.Day() == 1 && (t.Month()-1)%3 == 0 },
			func(t time.Time) string {
				p := t.AddDate(0, -3, 0)
				return fmt.Sprintf("%d-Q%d", p.Year(), (p.Month()-1)/3+1)
			}},
	}
	for i, j := range jobs {
		line := lines[i+1]
		if len(line) < reportsAt || !strings.HasPrefix(line, j.name+" ") {
			t.Errorf("next: line %d is not job %s: %q", i+1, j.name, line)
			continue
		}
		cell, label := strings.TrimSpace(line[at:reportsAt]), strings.TrimSpace(line[reportsAt:])
		next, err := time.ParseInLocation(layout, cell, ams)
		if err != nil {
			t.Errorf("next: %s: %q is not a time like %q: %v", j.name, cell, layout, err)
			continue
		}
		if in := next.In(ams).Format(layout); in != cell {
			t.Errorf("next: %s: %q is not in the report zone Europe/Amsterdam (%s there)", j.name, cell, in)
		}
		local := next.In(ams)
		if local.Hour() != 7 || local.Minute() != 0 || !j.matches(local) {
			t.Errorf("next: %s fires at %s, which its schedule does not", j.name, cell)
		}
		if !next.After(now.Add(-time.Minute)) || next.After(now.Add(j.within)) {
			t.Errorf("next: %s: %s is not the next run after %s", j.name, cell, now.In(ams).Format(layout))
		}
		if want := j.period(local); label != want {
			t.Errorf("next: %s reports %q, want %q", j.name, label, want)
		}
	}
}
