package cli

import (
	"context"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kpireport/kpireport/email"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// statusReport computes October 2026 with targets that revenue meets, AOV nearly meets
// and profit margin misses.
func statusReport(t *testing.T, lang string) *kpi.Report {
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
		m.Revenue.Add(money.MustParse("1000")) // AOV 100
		m.GrossSales.Add(money.MustParse("1000"))
		m.Cost.Add(money.MustParse("400")) // margin 60 %
		data.Windows[w] = m
	}
	targets := map[string]*big.Rat{
		kpi.IDRevenue:      big.NewRat(900, 1), // met
		kpi.IDAOV:          big.NewRat(105, 1), // near: within 10 %
		kpi.IDProfitMargin: big.NewRat(9, 10),  // missed
	}
	rep, err := kpi.Compute(plan, data, kpi.Options{Targets: targets}, loc)
	if err != nil {
		t.Fatal(err)
	}
	rep.Job, rep.Company, rep.Currency, rep.Lang = "monthly", "Acme B.V.", "EUR", lang
	rep.GeneratedAt = time.Date(2026, 11, 1, 7, 0, 0, 0, loc)
	return rep
}

// TestStatusWordsEveryOutput checks that every output says a target status with the
// same word, from the one text catalogue (labels.toml): the PDF (pdftotext), the
// workbook's Summary sheet (excelize), the mail's text and HTML and the `kpis` table,
// in both languages, with the built-in labels and with a labels.toml in template_dir.
func TestStatusWordsEveryOutput(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is not installed (Debian package poppler-utils), and CI=true")
		}
		t.Skip("skipped: pdftotext is not installed; apt-get install poppler-utils to run this test")
	}
	override := t.TempDir()
	if err := os.WriteFile(filepath.Join(override, "labels.toml"), []byte(`[en]
status_met = "on track"
status_near = "close"
status_missed = "off track"
[nl]
status_met = "op koers"
status_near = "dichtbij"
status_missed = "uit koers"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]kpi.Status{kpi.IDRevenue: kpi.StatusMet, kpi.IDAOV: kpi.StatusNear, kpi.IDProfitMargin: kpi.StatusMissed}
	builtinWords := map[string][]string{"en": {"met", "near", "missed"}, "nl": {"gehaald", "bijna", "niet gehaald"}}
	overrideWords := map[string][]string{"en": {"on track", "close", "off track"}, "nl": {"op koers", "dichtbij", "uit koers"}}
	for _, dir := range []string{"", override} {
		for _, lang := range locale.Languages {
			name := lang + "/built-in"
			want := builtinWords[lang]
			if dir != "" {
				name, want = lang+"/template_dir", overrideWords[lang]
			}
			t.Run(name, func(t *testing.T) {
				rep := statusReport(t, lang)
				tm, err := reports.LoadTemplate(dir, "", period.Month)
				if err != nil {
					t.Fatal(err)
				}
				labels, err := reports.LoadLabels(dir)
				if err != nil {
					t.Fatal(err)
				}
				words := map[kpi.Status]string{}
				for i, s := range []kpi.Status{kpi.StatusMet, kpi.StatusNear, kpi.StatusMissed} {
					words[s] = labels.Status(lang, s)
					if words[s] != want[i] {
						t.Errorf("catalogue: %s is %q, want %q", s, words[s], want[i])
					}
				}
				out := t.TempDir()
				files, err := reports.Generate(context.Background(), rep, reports.Options{
					Dir: out, Formats: []string{reports.FormatXLSX, reports.FormatPDF}, TemplateDir: dir})
				if err != nil {
					t.Fatal(err)
				}
				pdf, err := exec.Command(pdftotext, "-enc", "UTF-8", files[1].Path, "-").Output()
				if err != nil {
					t.Fatalf("pdftotext: %v", err)
				}
				pdfText := strings.Join(strings.Fields(string(pdf)), " ")
				summary := summaryStatuses(t, files[0].Path, labels, lang)
				mail, err := email.Compose(rep, tm, "", dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				var table strings.Builder
				if err := printTable(&table, rep, labels); err != nil {
					t.Fatal(err)
				}
				for id, s := range statuses {
					k, _ := rep.KPI(id)
					if k.Status != s {
						t.Fatalf("%s: status %s, want %s (the fixture changed?)", id, k.Status, s)
					}
					word, kname := words[s], k.Def.Name(lang)
					if !strings.Contains(pdfText, word) {
						t.Errorf("PDF: no %q for %s", word, id)
					}
					if got := summary[kname]; got != word {
						t.Errorf("workbook: %s has status %q, want %q", id, got, word)
					}
					if !strings.Contains(mail.Text, "["+word+"]") || !strings.Contains(mail.Text, kname+": ") {
						t.Errorf("mail text: no %s [%s]:\n%s", kname, word, mail.Text)
					}
					if !strings.Contains(mail.HTML, ">"+word+"</span>") {
						t.Errorf("mail HTML: no %q badge", word)
					}
					line := tableLine(table.String(), kname)
					if !strings.HasSuffix(line, "  "+word) {
						t.Errorf("kpis table: %s line %q does not end in %q", id, line, word)
					}
				}
				// None of the other catalogue's words, nor the ones the mail and the
				// table used to have ("behaald", "gemist").
				for _, other := range []string{"behaald", "gemist", "Verandering"} {
					for where, text := range map[string]string{"PDF": pdfText, "mail": mail.Text + mail.HTML, "table": table.String()} {
						if strings.Contains(text, other) {
							t.Errorf("%s says %q", where, other)
						}
					}
				}
			})
		}
	}
}

// summaryStatuses returns the status of each KPI on the workbook's Summary sheet, by
// the KPI's name.
func summaryStatuses(t *testing.T, path string, labels *reports.Labels, lang string) map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(labels.Text(lang, "sheet_summary"))
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	statuses := map[string]string{}
	for _, r := range rows {
		if col < 0 {
			if i := slices.Index(r, labels.Text(lang, "col_status")); i >= 0 && slices.Contains(r, labels.Text(lang, "col_kpi")) {
				col = i
			}
			continue
		}
		if len(r) > col {
			statuses[r[0]] = r[col]
		}
	}
	if col < 0 {
		t.Fatalf("no %q column on the Summary sheet", labels.Text(lang, "col_status"))
	}
	return statuses
}

// tableLine returns the line of the kpis table that starts with name.
func tableLine(table, name string) string {
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return strings.TrimRight(l, " ")
		}
	}
	return ""
}
