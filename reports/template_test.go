package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/templates"
)

func TestBuiltinTemplates(t *testing.T) {
	for _, kind := range []period.Kind{period.Month, period.Week, period.Quarter} {
		t.Run(kind.String(), func(t *testing.T) {
			tm, err := LoadTemplate("", "", kind)
			if err != nil {
				t.Fatal(err)
			}
			if tm.Name != kind.String() || tm.File != kind.String()+".toml" {
				t.Errorf("name %q, file %q", tm.Name, tm.File)
			}
			var kinds []string
			for _, s := range tm.Sections {
				kinds = append(kinds, s.Kind)
			}
			want := []string{SectionCards, SectionNotes, SectionCharts, SectionByRep, SectionByRegion, SectionDefinitions}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("sections (-want +got):\n%s", diff)
			}
			if len(tm.Sections[0].KPIs) != len(kpi.Defs) || len(tm.Workbook.Summary) != len(kpi.Defs) {
				t.Errorf("the cards and Summary do not show every KPI")
			}
		})
	}
}

// writeFiles writes name → content into a new folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const overrideMonth = `title = { en = "Board pack for {{.Company}}", nl = "Bestuursrapport voor {{.Company}}" }

[[section]]
kind = "by_region"
title = { en = "Regions first", nl = "Eerst de regio's" }

[[section]]
kind = "text"
title = { en = "A word", nl = "Een woord" }
body = { en = "Revenue {{.KPI \"revenue\"}} in {{.Period}}.", nl = "Opbrengst {{.KPI \"revenue\"}} in {{.Period}}." }

[[section]]
kind = "cards"
title = { en = "Key figures", nl = "Kerncijfers" }
kpis = ["revenue", "aov"]
`

// TestTemplateOverride replaces month.toml and labels.toml from a folder: the section
// order, a title and a sheet name change; definitions.toml stays built in.
func TestTemplateOverride(t *testing.T) {
	labels, err := fs.ReadFile(templates.FS, "labels.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"month.toml":  overrideMonth,
		"labels.toml": strings.Replace(string(labels), `sheet_summary = "Summary"`, `sheet_summary = "Overview"`, 1),
	})
	tm, err := LoadTemplate(dir, "", period.Month)
	if err != nil {
		t.Fatal(err)
	}
	if tm.File != filepath.Join(dir, "month.toml") {
		t.Errorf("file %q", tm.File)
	}
	var kinds []string
	for _, s := range tm.Sections {
		kinds = append(kinds, s.Kind)
	}
	if diff := cmp.Diff([]string{SectionByRegion, SectionText, SectionCards}, kinds); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
	rep := fixtureReport(t, "en")
	title, err := tm.Title(rep)
	if err != nil || title != "Board pack for "+fixtureCompany {
		t.Errorf("title %q, %v", title, err)
	}
	f := openXLSX(t, func() []byte {
		b, err := renderXLSXWith(rep, tm)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}())
	if got := f.GetSheetList()[0]; got != "Overview" {
		t.Errorf("first sheet %q, want the overridden label", got)
	}
	text := pdfText(t, renderPDF(t, rep, tm, ""))
	order := []string{"Board pack for " + fixtureCompany, "Regions first", "A word", "Revenue €132,830.56 in October 2026.", "Key figures"}
	at := 0
	for _, s := range order {
		i := strings.Index(text[at:], s)
		if i < 0 {
			t.Fatalf("%q is not in the PDF after position %d: %s", s, at, text)
		}
		at += i + len(s)
	}
	if strings.Contains(text, "Per rep in") || strings.Contains(text, "Appendix") {
		t.Error("the PDF has sections the override left out")
	}
}

func renderXLSXWith(rep *kpi.Report, tm *Template) ([]byte, error) {
	var b strings.Builder
	err := RenderXLSX(&b, rep, tm)
	return []byte(b.String()), err
}

// TestBrokenTemplate checks that a broken template is an error naming the file and
// the line, found when the template is loaded.
func TestBrokenTemplate(t *testing.T) {
	const ok = `title = { en = "Report", nl = "Rapport" }
[[section]]
kind = "cards"
`
	tests := []struct {
		name, file, content string
		want                string // in the error, after the file name
	}{
		{"toml syntax", "month.toml", "title = { en = \"x\", nl = \"y\" }\n[[section]]\nkind = \"cards\n", "month.toml line 3"},
		{"template syntax", "month.toml", ok + "[intro]\nen = \"\"\"\nFirst line\n{{if}} second line\"\"\"\n", "month.toml line 7 (intro.en): template: missing value for if"},
		{"unknown field", "month.toml", ok + "[intro]\nen = \"\"\"\nFirst line\nfor {{.Compnay}}\"\"\"\n", "month.toml line 7 (intro.en): template: can't evaluate field Compnay"},
		{"unknown KPI in text", "month.toml", "title = { en = \"{{.KPI \\\"revenu\\\"}}\", nl = \"x\" }\n[[section]]\nkind = \"cards\"\n", `month.toml line 1 (title.en): template: error calling KPI: unknown KPI "revenu"`},
		{"unknown key", "month.toml", ok + "titel = \"x\"\n", "month.toml line 4: unknown key section.titel"},
		{"unknown section", "month.toml", ok + "[[section]]\nkind = \"pie\"\n", `month.toml line 5 (section.kind): unknown section kind "pie"`},
		{"unknown KPI id", "month.toml", ok + "kpis = [\"revenue\", \"profit\"]\n", `month.toml line 4 (section.kpis): unknown KPI "profit"`},
		{"missing title", "month.toml", "[[section]]\nkind = \"cards\"\n", "month.toml: title is required"},
		{"label placeholder", "labels.toml", "", "labels.toml line %d: label en.generated has the placeholders {tijd}; it needs {time}"},
		{"label misspelt", "labels.toml", "", "labels.toml line %d: unknown label nl.totaal"}, // the line of total in [nl]
		{"definitions", "definitions.toml", "", `definitions.toml line 6: unknown KPI "revenu"`},
		// Line-ending backslashes join lines of a multi-line string: the built-in
		// intro is one line of template spread over four lines of the file.
		{"field after continuations", "month.toml", "", "month.toml line 23 (intro.en): template: can't evaluate field Strat"},
		{"syntax after continuations", "month.toml", "", "month.toml line 28 (intro.nl): template: missing value for if"},
		{"continuation and blank lines", "month.toml", ok + "[intro]\nen = \"\"\"\\\n\n  First {{.Period}} \\\n\n\n  then {{.Strat}}\nlast\"\"\"\n", "month.toml line 10 (intro.en): template: can't evaluate field Strat"},
		{"escaped newline", "month.toml", "title = { en = \"Report\\n\\n{{.Compnay}}\", nl = \"x\" }\n[[section]]\nkind = \"cards\"\n", "month.toml line 1 (title.en): template: can't evaluate field Compnay"},
		{"continuation in a quoted string", "month.toml", ok + "[intro]\nen = \"\"\"{{.KPI \"reve\\\nnue\"}}\n{{.Strat}}\"\"\"\n", "month.toml line 7 (intro.en): template: can't evaluate field Strat"},
		{"literal string", "month.toml", ok + "[intro]\nen = '''\nFirst \\\n{{.Strat}}'''\n", "month.toml line 7 (intro.en): template: can't evaluate field Strat"},
	}
	labels, _ := fs.ReadFile(templates.FS, "labels.toml")
	defs, _ := fs.ReadFile(templates.FS, "definitions.toml")
	month, _ := fs.ReadFile(templates.FS, "month.toml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := tt.content
			switch tt.name {
			case "label placeholder":
				content = strings.Replace(string(labels), `generated = "Generated {time}"`, `generated = "Generated {tijd}"`, 1)
			case "label misspelt":
				content = strings.Replace(string(labels), "\ntotal = \"Totaal\"\n", "\ntotaal = \"Totaal\"\n", 1)
			case "definitions":
				content = strings.Replace(string(defs), "[kpi.revenue.en]", "[kpi.revenu.en]", 1)
			case "field after continuations":
				content = replaceOnLine(t, string(month), 23, "The figures cover {{.Start}}", "The figures cover {{.Strat}}")
			case "syntax after continuations":
				content = replaceOnLine(t, string(month), 28, "Verschillen zijn", "{{if}} Verschillen zijn")
			}
			dir := writeFiles(t, map[string]string{tt.file: content})
			_, err := LoadTemplate(dir, "month", period.Month)
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("err = %v, want ErrTemplate", err)
			}
			want := filepath.Join(dir, tt.want)
			// The line numbers in labels.toml are those of the changed labels.
			switch tt.name {
			case "label misspelt":
				want = fmt.Sprintf(want, strings.Count(content[:strings.Index(content, "\ntotaal = ")+1], "\n")+1)
			case "label placeholder":
				want = fmt.Sprintf(want, strings.Count(content[:strings.Index(content, "\ngenerated = ")+1], "\n")+1)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v\nwant it to contain %q", err, want)
			}
		})
	}
}

// replaceOnLine replaces old, which must be on line n of s, with new.
func replaceOnLine(t *testing.T, s string, n int, old, new string) string {
	t.Helper()
	lines := strings.Split(s, "\n")
	if n > len(lines) || !strings.Contains(lines[n-1], old) {
		t.Fatalf("line %d of the template does not contain %q; the built-in template changed?", n, old)
	}
	lines[n-1] = strings.Replace(lines[n-1], old, new, 1)
	return strings.Join(lines, "\n")
}

func TestTemplateNames(t *testing.T) {
	for _, name := range []string{"../month", "a/b", "..", ".hidden"} {
		if _, err := LoadTemplate("", name, period.Month); !errors.Is(err, ErrTemplate) {
			t.Errorf("LoadTemplate(%q): %v, want ErrTemplate", name, err)
		}
	}
	_, err := LoadTemplate(t.TempDir(), "board", period.Month)
	if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), "no board.toml in ") {
		t.Errorf("missing template: %v", err)
	}
	if _, err := LoadTemplate("", "week.toml", period.Month); err != nil {
		t.Errorf("a name with .toml: %v", err)
	}
}

// TestTemplateLanguage checks that a template without the report's language is an
// error naming the file and key when it renders.
func TestTemplateLanguage(t *testing.T) {
	dir := writeFiles(t, map[string]string{"month.toml": "title = { en = \"Report\" }\n[[section]]\nkind = \"notes\"\n"})
	tm, err := LoadTemplate(dir, "", period.Month)
	if err != nil {
		t.Fatal(err)
	}
	err = RenderPDF(&strings.Builder{}, fixtureReport(t, "nl"), tm, "")
	if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), `month.toml: title has no "nl" text`) {
		t.Errorf("err = %v", err)
	}
}

// TestFontCoversText checks that the embedded Go fonts have a glyph for every
// character of the templates, the KPI names, the reasons and the formatting.
func TestFontCoversText(t *testing.T) {
	var text strings.Builder
	entries, err := fs.ReadDir(templates.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toml") {
			continue // not rendered into PDFs
		}
		b, _ := fs.ReadFile(templates.FS, e.Name())
		text.Write(b)
	}
	for _, lang := range locale.Languages {
		f := locale.New(lang, "EUR")
		for _, def := range kpi.Defs {
			text.WriteString(def.Name(lang))
		}
		for _, r := range []kpi.Reason{kpi.NoLeadsData, kpi.NoSpendData, kpi.NoLifespan, kpi.NoTTMSales, kpi.NoCycleDays} {
			text.WriteString(reasonText(lang, r))
		}
		text.WriteString(f.Money(ratOf(-1234.5, 0.01)) + f.NA() + "…–·")
	}
	for name, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF, "italic": goitalic.TTF} {
		font, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		var buf sfnt.Buffer
		for _, r := range text.String() {
			if r < ' ' {
				continue
			}
			if i, err := font.GlyphIndex(&buf, r); err != nil || i == 0 {
				t.Errorf("Go %s has no glyph for %q (U+%04X)", name, r, r)
			}
		}
	}
}
