package reports

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

func renderPDF(t testing.TB, rep *kpi.Report, tmpl *Template, logo string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, rep, tmpl, logo); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pdfcpuOnce sync.Once

// validatePDF checks b with pdfcpu's strict validation.
func validatePDF(t *testing.T, b []byte) {
	t.Helper()
	pdfcpuOnce.Do(api.DisableConfigDir) // no config files in the user's home
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.Validate(bytes.NewReader(b), conf); err != nil {
		t.Fatalf("pdfcpu validate: %v", err)
	}
}

// pdfText returns the text pdftotext extracts from b, with every run of white space
// made one space.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestRenderPDF(t *testing.T) {
	logo := writeLogo(t, t.TempDir())
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := fixtureReport(t, lang)
			b := renderPDF(t, rep, nil, logo)
			validatePDF(t, b)
			if again := renderPDF(t, rep, nil, logo); !bytes.Equal(b, again) {
				t.Error("the same report gave different PDFs")
			}
			text := pdfText(t, b)
			f := locale.New(lang, rep.Currency)
			revenue, _ := rep.KPI(kpi.IDRevenue)
			want := []string{
				rep.Company,
				f.Period(rep.Period), // "October 2026", "oktober 2026"
				f.Money(revenue.Value.V),
				map[string]string{"en": "page 1 of 3", "nl": "pagina 1 van 3"}[lang],
				f.DateTime(rep.GeneratedAt),
				kpi.NoSpendData.Text(lang), // the n/a note of CAC
				fixtureFormula,
				"Ëlise Müller",
			}
			for _, def := range kpi.Defs {
				want = append(want, def.Name(lang))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("the PDF's text lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("text: %s", text)
			}
		})
	}
}

func TestRenderPDFLogo(t *testing.T) {
	rep := fixtureReport(t, "en")
	dir := t.TempDir()
	notImage := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(notImage, []byte("GIF89a not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing": filepath.Join(dir, "none.png"), "not an image": notImage} {
		t.Run(name, func(t *testing.T) {
			err := RenderPDF(&bytes.Buffer{}, rep, nil, path)
			if !errors.Is(err, ErrLogo) {
				t.Fatalf("err = %v, want ErrLogo", err)
			}
		})
	}
	t.Run("png", func(t *testing.T) {
		with := renderPDF(t, rep, nil, writeLogo(t, dir))
		without := renderPDF(t, rep, nil, "")
		validatePDF(t, with)
		if !bytes.Contains(with, []byte("/Subtype /Image")) || bytes.Contains(without, []byte("/Subtype /Image")) {
			t.Error("the logo is not (only) in the PDF with a logo")
		}
	})
}

// TestRenderPDFEveryKind renders the built-in template of each period kind.
func TestRenderPDFEveryKind(t *testing.T) {
	for _, p := range []struct{ label string }{{"2026-W43"}, {"2026-Q3"}, {"2026-10"}} {
		t.Run(p.label, func(t *testing.T) {
			per := mustParse(t, p.label)
			rep := fixtureReportFor(t, per, "nl")
			validatePDF(t, renderPDF(t, rep, nil, ""))
			if _, err := renderXLSXErr(rep); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func renderXLSXErr(rep *kpi.Report) ([]byte, error) {
	var buf bytes.Buffer
	err := RenderXLSX(&buf, rep, nil)
	return buf.Bytes(), err
}
