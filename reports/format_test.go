package reports

import (
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); go test -update rewrites it:\n%s", path, diff)
	}
}

// TestFormatGolden records how both languages show what the reports print: values
// and n/a, changes, dates, period names, axis ticks, Excel number formats and labels.
func TestFormatGolden(t *testing.T) {
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			tm, err := defaultTemplate(period.Month)
			if err != nil {
				t.Fatal(err)
			}
			f := locale.New(lang, rep.Currency)
			var b strings.Builder
			line := func(key, value string) { fmt.Fprintf(&b, "%-36s %s\n", key, value) }

			b.WriteString("# KPI values, changes and target statuses as the cards show them\n")
			for _, r := range rep.KPIs {
				line(r.Def.ID, f.Value(r.Value, r.Def.Unit)+" | "+changeText(f, r)+" | "+tm.statusLabel(lang, r.Status))
			}
			b.WriteString("\n# money, percentages, days and n/a\n")
			for _, s := range []string{"0", "0.005", "-0.005", "1234.5", "-1234.5678", "1234567.891"} {
				r, _ := new(big.Rat).SetString(s)
				line("money "+s, f.Money(r))
				line("percent "+s, f.Percent(r)+" | "+signedPercent(f, r))
				line("days "+s, f.Days(r))
			}
			line("n/a", f.NA())
			line("reason", reasonText(lang, kpi.NoSpendData))

			b.WriteString("\n# dates and periods\n")
			data := newTextData(rep, tm)
			line("period", data.Period+" | "+data.Label+" | "+data.PreviousPeriod+" | "+data.YearAgoPeriod)
			line("range", tm.label(lang, "period_range", "start", data.Start, "end", data.End))
			line("generated", tm.label(lang, "generated", "time", data.Generated))
			line("footer", tm.label(lang, "page_n_of_m", "n", "2", "m", "3"))
			for _, label := range []string{"2026-01", "2026-10", "2026-W01", "2026-W53", "2026-Q3"} {
				p := mustParse(t, label)
				line("period "+label, f.Period(p)+" | "+periodShort(lang, p)+" | "+periodTick(lang, p))
			}

			b.WriteString("\n# chart axis ticks\n")
			for _, tc := range []struct {
				v, step float64
				unit    kpi.Unit
			}{
				{0, 25000, kpi.Money}, {125000, 25000, kpi.Money}, {-20000, 10000, kpi.Money},
				{1500000, 500000, kpi.Money}, {2250000, 250000, kpi.Money}, {750, 250, kpi.Money},
				{0.0125, 0.0025, kpi.Ratio}, {0.5, 0.25, kpi.Ratio}, {1, 0.2, kpi.Ratio},
				{22.5, 2.5, kpi.Days}, {12000, 2000, kpi.Count}, {300, 50, kpi.Count},
			} {
				line(fmt.Sprintf("axis %v step %v %s", tc.v, tc.step, tc.unit), axisLabel(f, tc.v, tc.step, tc.unit))
			}
			lo, hi, step := niceScale(118000, 137000, 4)
			line("scale 118000..137000", fmt.Sprint(lo, hi, step))

			b.WriteString("\n# Excel number formats\n")
			for _, u := range []kpi.Unit{kpi.Money, kpi.MoneyPerDay, kpi.Ratio, kpi.Days, kpi.Count} {
				line("value "+string(u), numFmt(f, u))
				line("change "+string(u), changeNumFmt(f, u))
			}
			line("change %", changePctNumFmt(f))
			usd := locale.New(lang, "USD")
			line("value money USD", numFmt(usd, kpi.Money))
			chf := locale.New(lang, "CHF")
			line("value money CHF", numFmt(chf, kpi.Money))

			b.WriteString("\n# labels\n")
			for _, key := range []string{"sheet_summary", "sheet_measures", "sheet_by_rep", "col_previous", "status_met", "status_near", "status_missed", "no_rep", "notes_empty"} {
				line(key, tm.label(lang, key))
			}
			line("unit money", tm.unitLabel(lang, "EUR", kpi.Money))
			golden(t, "format-"+lang+".golden", b.String())
		})
	}
}

func TestSanitizeFilename(t *testing.T) {
	rep := fixtureReport(t, "en")
	tests := []struct {
		tmpl, company, want string
	}{
		{DefaultFilename, "", "monthly-2026-10"},
		{"{{ company }} {{period}}", "Voorbeeld B.V.", "Voorbeeld B.V. 2026-10"},
		{"{{company}}-{{period}}", "../../etc/passwd", "_._etc_passwd-2026-10"},
		{"{{company}}", `A\B:C*D?"E"<F>|G`, "A_B_C_D__E__F__G"},
		{"{{company}}", "tab\there\x00nul\x7f", "tab_here_nul_"},
		{"{{company}}", "..", "report"},
		{"{{company}}", " .hidden. ", "hidden"},
		{"{{company}}{{job}}", "", "monthly"},
		{"{{company}}", "Ëlise & Zoon", "Ëlise & Zoon"},
		// Windows device names, with or without an extension, in any case.
		{"{{company}}", "CON", "_CON"},
		{"{{company}}", "nul", "_nul"},
		{"{{company}}", "Aux.backup", "_Aux.backup"},
		{"{{company}}", "prn .x", "_prn .x"},
		{"{{company}}", "COM1", "_COM1"},
		{"{{company}}", "com9.tar", "_com9.tar"},
		{"{{company}}", "LPT5 ", "_LPT5"},
		{"{{company}}", "LPT²", "_LPT²"},
		{"{{company}}", "conout$", "_conout$"},
		{"{{company}}-{{period}}", "CON", "CON-2026-10"},
		{"{{company}}", "COM10", "COM10"},
		{"{{company}}", "COM0", "COM0"},
		{"{{company}}", "CONSULT", "CONSULT"},
		{"{{company}}", "LPT", "LPT"},
		// Invisible format characters: bidi overrides, zero width space, BOM.
		{"{{company}}", "invoice\u202Efdp.exe", "invoice_fdp.exe"},
		{"{{company}}", "a\u200Bb\u2066c\uFEFF", "a_b_c_"},
		{"{{company}}", "\u202Dcon", "_con"},
	}
	for _, tt := range tests {
		r := *rep
		r.Company = tt.company
		if got := expandFilename(tt.tmpl, &r); got != tt.want {
			t.Errorf("expandFilename(%q) with company %q = %q, want %q", tt.tmpl, tt.company, got, tt.want)
		}
	}
}
