package kpi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// reasonText returns the reasons' texts in lang from the built-in text catalogue, as
// `kpireport kpis --format json` prints them.
func reasonText(t *testing.T, lang string) func(kpi.Reason) string {
	t.Helper()
	l, err := reports.LoadLabels("")
	if err != nil {
		t.Fatal(err)
	}
	return func(r kpi.Reason) string { return l.Reason(lang, r) }
}

// TestMarshalJSONCodes checks that encoding/json gives each reason as its code.
func TestMarshalJSONCodes(t *testing.T) {
	ds := october
	ds.has.Calls = false
	r := ds.report(t, "2026-10", kpi.Options{})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"reason":"no_calls_data"`)) {
		t.Errorf("no reason code in %s", b)
	}
}

func TestMarshalJSONGolden(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			ds := october
			ds.has.Calls = false // so that one KPI shows null with its reason
			r := ds.report(t, "2026-10", kpi.Options{Targets: octoberTargets})
			r.Job, r.Lang = "monthly-sales", lang
			got, err := r.JSON(reasonText(t, lang))
			if err != nil {
				t.Fatal(err)
			}
			got = bytes.TrimSpace(got)
			var indented bytes.Buffer
			if err := json.Indent(&indented, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			indented.WriteByte('\n')
			golden(t, "report_"+lang+".json", indented.Bytes())
		})
	}
}

// TestMarshalJSONShape checks the documented shape: {"job", "period": {"label", "start",
// "end"}, "kpis": [{"id", "name", "unit", "value", "reason" (only when value is null),
// "previous", "change", "year_ago", "target", "status", "trend": [{"period", "value"}]}],
// "measures": {...}}.
func TestMarshalJSONShape(t *testing.T) {
	ds := october
	ds.has.Calls = false // sales_calls n/a
	r := ds.report(t, "2026-10", kpi.Options{Targets: octoberTargets})
	r.Job, r.Lang = "monthly-sales", "en"
	b, err := r.JSON(reasonText(t, "en"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Job    string
		Period map[string]any
		KPIs   []map[string]json.RawMessage
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"job", "kpis", "measures", "period"}, keys(top)); d != "" {
		t.Fatalf("top-level keys (-want +got):\n%s", d)
	}
	if err := json.Unmarshal(top["job"], &doc.Job); err != nil || doc.Job != "monthly-sales" {
		t.Errorf("job = %s", top["job"])
	}
	if err := json.Unmarshal(top["period"], &doc.Period); err != nil {
		t.Fatal(err)
	}
	wantPeriod := map[string]any{"label": "2026-10", "start": "2026-10-01T00:00:00+02:00", "end": "2026-11-01T00:00:00+01:00"}
	if d := cmp.Diff(wantPeriod, doc.Period); d != "" {
		t.Errorf("period (-want +got):\n%s", d)
	}
	if err := json.Unmarshal(top["kpis"], &doc.KPIs); err != nil {
		t.Fatal(err)
	}
	if len(doc.KPIs) != 18 {
		t.Fatalf("%d kpis", len(doc.KPIs))
	}
	base := []string{"change", "id", "name", "previous", "status", "target", "trend", "unit", "value", "year_ago"}
	for i, k := range doc.KPIs {
		var id string
		_ = json.Unmarshal(k["id"], &id)
		if id != kpi.Defs[i].ID {
			t.Errorf("kpis[%d].id = %s, want %s", i, id, kpi.Defs[i].ID)
		}
		want := base
		if string(k["value"]) == "null" {
			want = append(slices.Clone(base), "reason")
			slices.Sort(want)
		}
		if d := cmp.Diff(want, keys(k)); d != "" {
			t.Errorf("%s keys (-want +got):\n%s", id, d)
		}
		var trend []map[string]json.RawMessage
		if err := json.Unmarshal(k["trend"], &trend); err != nil || len(trend) != 12 {
			t.Fatalf("%s trend: %v, %d points", id, err, len(trend))
		}
		for _, p := range trend {
			if d := cmp.Diff([]string{"period", "value"}, keys(p)); d != "" {
				t.Errorf("%s trend point keys (-want +got):\n%s", id, d)
			}
		}
	}
	// sales_calls is n/a: value null with its reason; status none
	calls := doc.KPIs[16]
	if string(calls["value"]) != "null" || string(calls["reason"]) != `"no calls data"` || string(calls["status"]) != `"none"` {
		t.Errorf("sales_calls: value %s, reason %s, status %s", calls["value"], calls["reason"], calls["status"])
	}
	var measures map[string]json.RawMessage
	if err := json.Unmarshal(top["measures"], &measures); err != nil {
		t.Fatal(err)
	}
	wantMeasures := []string{"buyers", "cost", "customers_end", "customers_lost", "customers_start", "cycle_days",
		"expansion_revenue", "gross_sales", "leads_converted", "leads_created", "new_customers", "qualified_leads",
		"recurring_revenue", "revenue", "sales_calls", "sales_count", "spend", "won_deals", "won_value"}
	if d := cmp.Diff(wantMeasures, keys(measures)); d != "" {
		t.Errorf("measure keys (-want +got):\n%s", d)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestParseTarget(t *testing.T) {
	for f, want := range map[float64]string{0.1: "1/10", 0.125: "1/8", 1500: "1500", -2.5: "-5/2", 1e-7: "1/10000000"} {
		if got := kpi.ParseTarget(f); got.Cmp(rat(want)) != 0 {
			t.Errorf("ParseTarget(%v) = %s, want %s", f, got, want)
		}
	}
}
