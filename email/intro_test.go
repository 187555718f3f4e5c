package email

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// builtin returns the built-in report template of kind.
func builtin(t *testing.T, kind period.Kind) *reports.Template {
	t.Helper()
	tm, err := reports.LoadTemplate("", "", kind)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// reportOf computes the report of label, whose revenue is cur and that of the
// period before prev; every other window has revenue 1000 and the same customers.
func reportOf(t *testing.T, lang, label, cur, prev string) *kpi.Report {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	plan := kpi.NewPlan(p)
	data := &kpi.Data{Windows: map[period.Range]*kpi.Measures{}, Has: kpi.Availability{Cost: true}}
	for _, w := range plan.Windows {
		m := &kpi.Measures{SalesCount: 10, Buyers: 5, CustomersStart: 100, CustomersLost: 3}
		m.Revenue.Add(money.MustParse("1000"))
		m.GrossSales.Add(money.MustParse("1100"))
		m.Cost.Add(money.MustParse("400"))
		data.Windows[w] = m
	}
	data.Windows[p.Range()].Revenue = money.SumOf(money.MustParse(cur))
	data.Windows[p.Prev().Range()].Revenue = money.SumOf(money.MustParse(prev))
	rep, err := kpi.Compute(plan, data, kpi.Options{}, loc)
	if err != nil {
		t.Fatal(err)
	}
	rep.Job, rep.Company, rep.Currency, rep.Lang = "monthly", "Acme B.V.", "EUR", lang
	rep.GeneratedAt = time.Date(2026, 11, 1, 7, 0, 0, 0, loc)
	return rep
}

// TestIntro checks the first paragraph of the mail in both languages against the
// numbers of a computed report: revenue's change is relative, a percentage with its
// sign (never percentage points, as the Dutch intro once said), and there is none
// when the previous period had no revenue. The expected change is computed here from
// the two revenues, not taken from the report.
func TestIntro(t *testing.T) {
	tests := []struct {
		name, cur, prev string
		literal         map[string]string // lang → a part of the intro, written out
	}{
		{"growth", "1471.00", "1000.00", map[string]string{
			"en": "Sales revenue in October 2026 was €1,471.00, +47.1% compared with September 2026.",
			"nl": "De verkoopopbrengst in oktober 2026 was € 1.471,00, +47,1 % ten opzichte van september 2026.",
		}},
		{"drop", "750.00", "4150.00", map[string]string{
			"en": "Sales revenue in October 2026 was €750.00, -81.9% compared with September 2026.",
			"nl": "De verkoopopbrengst in oktober 2026 was € 750,00, -81,9 % ten opzichte van september 2026.",
		}},
		{"no previous revenue", "750.00", "0", map[string]string{
			"en": "Sales revenue in October 2026 was €750.00. The full report is attached.",
			"nl": "De verkoopopbrengst in oktober 2026 was € 750,00. Het volledige rapport zit in de bijlagen.",
		}},
	}
	for _, tt := range tests {
		for _, lang := range locale.Languages {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				rep := reportOf(t, lang, "2026-10", tt.cur, tt.prev)
				m, err := Compose(rep, builtin(t, period.Month), "", "", nil)
				if err != nil {
					t.Fatal(err)
				}
				f := locale.New(lang, "EUR")
				cur, prev := money.MustParse(tt.cur).Rat(), money.MustParse(tt.prev).Rat()
				want := []string{f.Money(cur), f.Period(rep.Period)}
				var notWant []string
				if prev.Sign() > 0 {
					rel := new(big.Rat).Quo(new(big.Rat).Sub(cur, prev), prev)
					change := f.Percent(rel)
					if rel.Sign() > 0 {
						change = "+" + change
					}
					want = append(want, f.Money(cur)+", "+change+" ", f.Period(rep.Period.Prev()))
				} else {
					notWant = append(notWant, "compared with", "ten opzichte van", f.Period(rep.Period.Prev()))
				}
				want = append(want, tt.literal[lang])
				notWant = append(notWant, " pp", "n/a", "n.v.t.")
				intro := strings.SplitN(m.Text, "\n\n", 3)[1] // after the company and title lines
				for _, s := range want {
					if !strings.Contains(intro, s) {
						t.Errorf("intro lacks %q:\n%s", s, intro)
					}
					if !strings.Contains(m.HTML, htmlEscape(s)) {
						t.Errorf("HTML lacks %q", htmlEscape(s))
					}
				}
				for _, s := range notWant {
					if strings.Contains(intro, s) {
						t.Errorf("intro has %q:\n%s", s, intro)
					}
				}
			})
		}
	}
}

// TestRowChanges checks the change column of the mail: money KPIs show the relative
// change in percent, ratio KPIs (profit margin) the difference in percentage points.
func TestRowChanges(t *testing.T) {
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := reportOf(t, lang, "2026-10", "750.00", "4150.00")
			m, err := Compose(rep, builtin(t, period.Month), "", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			f := locale.New(lang, "EUR")
			rev, _ := rep.KPI(kpi.IDRevenue)
			margin, _ := rep.KPI(kpi.IDProfitMargin)
			for _, want := range []string{
				rev.Def.Name(lang) + ": " + f.Value(rev.Value, rev.Def.Unit) + " (" + percentChange(f, rev.ChangeRel) + ")",
				margin.Def.Name(lang) + ": " + f.Value(margin.Value, margin.Def.Unit) + " (" + f.Change(margin.Change, kpi.Ratio) + ")",
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
			}
			if !strings.HasSuffix(f.Change(margin.Change, kpi.Ratio), " pp") {
				t.Errorf("margin change %q is not in pp", f.Change(margin.Change, kpi.Ratio))
			}
		})
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("+", "&#43;", "&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TestSubject checks the subject in both languages for each period kind: the report
// template's title and the period's name (not its id), and that a job's own subject
// still gets the id as .Period and the name as .Label.
func TestSubject(t *testing.T) {
	tests := []struct {
		label, lang, subject, want string
	}{
		{"2026-10", "en", "", "Acme B.V.: Monthly sales report October 2026"},
		{"2026-10", "nl", "", "Acme B.V.: Maandelijks verkooprapport oktober 2026"},
		{"2026-W43", "en", "", "Acme B.V.: Weekly sales report week 43, 2026"},
		{"2026-W43", "nl", "", "Acme B.V.: Wekelijks verkooprapport week 43, 2026"},
		{"2026-Q3", "en", "", "Acme B.V.: Quarterly sales report Q3 2026"},
		{"2026-Q3", "nl", "", "Acme B.V.: Kwartaalrapport verkoop 3e kwartaal 2026"},
		{"2026-10", "nl", "[{{.Job}}] {{.Period}} · {{.Label}} · {{.Title}}", "[monthly] 2026-10 · oktober 2026 · Maandelijks verkooprapport"},
		{"2026-W43", "en", "{{.Company}} {{.Period}}: {{.Label}}", "Acme B.V. 2026-W43: week 43, 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.label+"/"+tt.lang+"/"+tt.subject, func(t *testing.T) {
			rep := reportOf(t, tt.lang, tt.label, "1000", "900")
			tm := builtin(t, rep.Period.Kind)
			m, err := Compose(rep, tm, tt.subject, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.want {
				t.Errorf("subject %q, want %q", m.Subject, tt.want)
			}
			// The same title and period name as the report template's.
			title, err := tm.Title(rep)
			if err != nil {
				t.Fatal(err)
			}
			name := locale.New(tt.lang, "EUR").Period(rep.Period)
			if tt.subject == "" && m.Subject != rep.Company+": "+title+" "+name {
				t.Errorf("subject %q is not the template's title %q and the period's name %q", m.Subject, title, name)
			}
		})
	}
}

// TestTemplateDirChangesMail checks that report.template_dir changes the mail as it
// changes the PDF: the title of its month.toml and the words of its labels.toml.
func TestTemplateDirChangesMail(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"month.toml": "title = { en = \"Board pack {{.Period}}\", nl = \"Directierapport {{.Period}}\" }\n[[section]]\nkind = \"cards\"\n",
		"labels.toml": "[en]\nstatus_met = \"on track\"\nnot_available = \"Missing\"\n" +
			"[nl]\nstatus_met = \"op koers\"\nnot_available = \"Ontbreekt\"\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tm, err := reports.LoadTemplate(dir, "", period.Month)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{
		"en": {"Acme B.V.: Board pack October 2026 October 2026", "[on track]", "Missing:"},
		"nl": {"Acme B.V.: Directierapport oktober 2026 oktober 2026", "[op koers]", "Ontbreekt:"},
	} {
		t.Run(lang, func(t *testing.T) {
			m, err := Compose(report(t, lang, "Acme B.V."), tm, "", dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != want[0] {
				t.Errorf("subject %q, want %q", m.Subject, want[0])
			}
			for _, s := range want[1:] {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
				if !strings.Contains(m.HTML, strings.Trim(s, "[]:")) {
					t.Errorf("HTML lacks %q", strings.Trim(s, "[]:"))
				}
			}
		})
	}
}
