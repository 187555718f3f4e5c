package email

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// report computes a small monthly report on October 2026 with a revenue target.
func report(t *testing.T, lang, company string) *kpi.Report {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	p := period.Period{Kind: period.Month, Year: 2026, N: 10}
	plan := kpi.NewPlan(p)
	data := &kpi.Data{Windows: map[period.Range]*kpi.Measures{}, Has: kpi.Availability{Cost: true}}
	for _, w := range plan.Windows {
		m := &kpi.Measures{SalesCount: 10, Buyers: 5, CustomersStart: 100, CustomersLost: 3}
		m.Revenue.Add(money.MustParse("1000"))
		m.GrossSales.Add(money.MustParse("1100"))
		data.Windows[w] = m
	}
	cur := data.Windows[p.Range()]
	cur.Revenue = money.SumOf(money.MustParse("1234.56"))
	rep, err := kpi.Compute(plan, data, kpi.Options{Targets: map[string]*big.Rat{"revenue": big.NewRat(1200, 1)}}, loc)
	if err != nil {
		t.Fatal(err)
	}
	rep.Job, rep.Company, rep.Currency, rep.Lang = "monthly", company, "EUR", lang
	rep.GeneratedAt = time.Date(2026, 11, 1, 7, 0, 0, 0, loc)
	return rep
}

func TestCompose(t *testing.T) {
	tests := []struct {
		lang, subject                string
		wantSubject                  string
		wantHTML, wantText, notInAll []string
	}{
		{
			lang: "en", wantSubject: "Acme B.V.: Monthly sales report October 2026",
			wantHTML: []string{"Sales revenue", "€1,234.56", "met", "October 2026", "monthly-2026-10.pdf"},
			wantText: []string{"Sales revenue: €1,234.56", "[met]", "Customer acquisition cost: n/a"},
		},
		{
			lang: "nl", subject: "{{.Company}} – {{.Title}} {{.Period}}",
			wantSubject: "Acme B.V. – Maandelijks verkooprapport 2026-10",
			wantHTML:    []string{"Verkoopopbrengst", "€ 1.234,56", "gehaald", "oktober 2026"},
			wantText:    []string{"Verkoopopbrengst: € 1.234,56", "Niet beschikbaar"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			m, err := Compose(report(t, tt.lang, "Acme B.V."), builtin(t, period.Month), tt.subject, "", []string{"monthly-2026-10.xlsx", "monthly-2026-10.pdf"})
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.wantSubject)
			}
			for _, s := range tt.wantHTML {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			for _, s := range tt.wantText {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
		})
	}
}

// Data never becomes markup or a header: a company name with HTML is escaped, and
// line breaks in the subject are folded.
func TestComposeEscapesData(t *testing.T) {
	m, err := Compose(report(t, "en", "<b>Evil</b>\r\nBcc: victim@example.com"), builtin(t, period.Month), "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject has a line break: %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<b>Evil</b>") {
		t.Error("HTML contains the company's markup unescaped")
	}
}

func TestComposeTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "email.txt.tmpl"), []byte("Custom {{.Company}} {{.Period}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Compose(report(t, "en", "Acme"), builtin(t, period.Month), "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Custom Acme October 2026\n" {
		t.Errorf("text = %q, want the override", m.Text)
	}
	if !strings.Contains(m.HTML, "<!DOCTYPE html>") {
		t.Error("HTML is not the built-in template")
	}

	if err := os.WriteFile(filepath.Join(dir, "email.txt.tmpl"), []byte("{{.Nope}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Compose(report(t, "en", "Acme"), builtin(t, period.Month), "", dir, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "email.txt.tmpl")) || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("broken template error = %v, want the file and the field", err)
	}
}

// TestCheck checks that Check accepts the built-in templates and an override, and
// names the file and line of a broken override, of either kind.
func TestCheck(t *testing.T) {
	if err := Check(""); err != nil {
		t.Fatalf("built-in templates: %v", err)
	}
	tests := []struct {
		file, text string
		want       string // in the error; "" for none
	}{
		{"email.txt.tmpl", "Custom {{.Company}}\n{{range .Rows}}{{.Name}}{{end}}\n", ""},
		{"email.txt.tmpl", "line one\n{{.Nope}}\n", "email.txt.tmpl:2"},
		{"email.html.tmpl", "<p>{{.Company}}</p>\n<p>{{if}}</p>\n", "email.html.tmpl:2"},
		{"email.html.tmpl", "<p>{{range .Rows}}{{.Colour}}{{end}}</p>\n", "Colour"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.text, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Check(dir)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(dir, tt.file))):
				t.Errorf("Check = %v, want an error naming %s and %q", err, filepath.Join(dir, tt.file), tt.want)
			}
		})
	}
}

// A report of a period that had not ended says so in its subject, in both languages.
func TestComposeToDateSubject(t *testing.T) {
	tests := []struct {
		lang, asOf, want string
	}{
		{"en", "2026-10-03", "(to date: 1–3 October 2026)"},
		{"nl", "2026-10-03", "(tot nu toe: van 1 tot en met 3 oktober 2026)"},
	}
	for _, tt := range tests {
		rep := report(t, tt.lang, "Acme B.V.")
		day, err := time.ParseInLocation("2006-01-02", tt.asOf, rep.Location)
		if err != nil {
			t.Fatal(err)
		}
		rep.AsOf = day.Add(10 * time.Hour)
		m, err := Compose(rep, builtin(t, period.Month), "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(m.Subject, tt.want) {
			t.Errorf("%s: subject %q, want it to end in %q", tt.lang, m.Subject, tt.want)
		}
		rep.AsOf = time.Time{}
		if m, _ := Compose(rep, builtin(t, period.Month), "", "", nil); strings.Contains(m.Subject, "(") {
			t.Errorf("%s: the subject of a complete period %q has a to-date note", tt.lang, m.Subject)
		}
	}
}
