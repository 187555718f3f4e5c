package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// cjkFont is a TrueType font with CJK glyphs that Debian installs (package
// fonts-droid-fallback; .ci/run installs it).
const cjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// needCJKFont returns cjkFont, skipping the test when it is not installed (failing
// it under CI=true).
func needCJKFont(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(cjkFont); err == nil {
		return cjkFont
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (Debian package fonts-droid-fallback), and CI=true", cjkFont)
	}
	t.Skipf("skipped: %s is not installed; apt-get install fonts-droid-fallback to run this test", cjkFont)
	return ""
}

// TestPDFScripts renders reports whose rep and company names are in many scripts,
// and with characters no font has, invalid UTF-8 among them: the PDF must render
// (no panic, no temporary file left), pdftotext must find the names, and each value
// with characters no font has must be named in exactly one warning.
func TestPDFScripts(t *testing.T) {
	tests := []struct {
		name     string
		value    string // a rep's name
		want     string // what pdftotext finds
		cjk      bool   // needs the CJK fallback font
		missing  string // the chars of the warning; "" for none
		altWants []string
	}{
		{name: "vietnamese", value: "Nguyễn Thị Hương", want: "Nguyễn Thị Hương"},
		{name: "vietnamese decomposed", value: "Nguye\u0302\u0303n Văn", want: "Nguyễn Văn"},
		{name: "greek", value: "Αθηνά Παπαδοπούλου", want: "Αθηνά Παπαδοπούλου"},
		{name: "cyrillic", value: "Дмитрий Иванов", want: "Дмитрий Иванов"},
		// Right-to-left text is drawn unshaped in logical order; pdftotext may give it
		// back in either order.
		{name: "hebrew", value: "שרה כהן", want: "שרה", altWants: []string{"הרש"}},
		{name: "arabic", value: "ليلى حسن", want: "ليلى", altWants: []string{"ىليل"}},
		{name: "cjk", value: "王小明 Tanaka 田中", want: "王小明 Tanaka 田中", cjk: true},
		{name: "emoji", value: "Sophie 😀 Bakker", want: "Sophie \uFFFD Bakker", missing: "😀"},
		{name: "emoji sequence", value: "Team 👍🏽❤️‍🔥 Noord", want: "Team \uFFFD\uFFFD", missing: "👍 🏽 🔥"},
		{name: "cjk without a fallback", value: "王小明", want: "\uFFFD\uFFFD\uFFFD", missing: "王 小 明"},
		{name: "invalid utf-8", value: "Fryl\xe2n \xed\xa0\x80", want: "Fryl\uFFFDn", missing: "invalid UTF-8"},
	}
	for _, tt := range tests {
		for _, lang := range locale.Languages {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				var fonts []string
				if tt.cjk {
					fonts = []string{needCJKFont(t)}
				}
				rep := fixtureReport(t, lang)
				rep.ByRep = append([]kpi.DimMeasures(nil), rep.ByRep...)
				rep.ByRep[4].Name = tt.value
				var log bytes.Buffer
				dir := t.TempDir()
				files, err := Generate(context.Background(), rep, Options{
					Dir: dir, Formats: []string{FormatPDF}, Fonts: fonts,
					Logger: slog.New(slog.NewJSONHandler(&log, nil)),
				})
				if err != nil {
					t.Fatal(err)
				}
				names, _ := filepath.Glob(filepath.Join(dir, "*"))
				hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
				if len(names) != 1 || len(hidden) != 0 {
					t.Errorf("files in the output folder: %q %q, want only the PDF", names, hidden)
				}
				b, err := os.ReadFile(files[0].Path)
				if err != nil {
					t.Fatal(err)
				}
				validatePDF(t, b)
				text := pdfText(t, b)
				found := strings.Contains(text, tt.want)
				for _, alt := range tt.altWants {
					found = found || strings.Contains(text, alt)
				}
				if !found {
					t.Errorf("the PDF's text lacks %q:\n%s", tt.want, text)
				}
				warnings := strings.Count(log.String(), `"msg":"PDF: characters no font has"`)
				switch {
				case tt.missing == "" && warnings > 0:
					t.Errorf("warnings, want none:\n%s", log.String())
				case tt.missing != "" && warnings != 1:
					t.Errorf("%d warnings, want 1 that names the value:\n%s", warnings, log.String())
				case tt.missing != "" && !strings.Contains(log.String(), `"chars":"`+tt.missing+`"`) ||
					tt.missing != "" && !strings.Contains(log.String(), `"value":`+jsonString(t, strings.ToValidUTF8(tt.value, "\uFFFD"))):
					t.Errorf("the warning does not name the characters %q:\n%s", tt.missing, log.String())
				}
			})
		}
	}
}

func jsonString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPDFFallbackFont checks that the characters of a fallback font are drawn in it:
// the PDF embeds the fallback font only when a value needs it.
func TestPDFFallbackFont(t *testing.T) {
	font := needCJKFont(t)
	rep := fixtureReport(t, "en")
	var plain, cjk bytes.Buffer
	if err := RenderPDFOptions(&plain, rep, nil, PDFOptions{Fonts: []string{font}}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("utf8fallback0")) {
		t.Error("the PDF embeds the fallback font although no value needs it")
	}
	rep.Company = "株式会社 Example"
	if err := RenderPDFOptions(&cjk, rep, nil, PDFOptions{Fonts: []string{font}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cjk.Bytes(), []byte("utf8fallback0")) {
		t.Error("the PDF does not embed the fallback font for a CJK company name")
	}
	if text := pdfText(t, cjk.Bytes()); !strings.Contains(text, "株式会社 Example") {
		t.Errorf("the PDF's text lacks the company name:\n%s", text)
	}
}

// TestPDFBadFont checks that a fallback font that is not a TrueType file is an error
// naming the file, not a panic.
func TestPDFBadFont(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ttf")
	if err := os.WriteFile(bad, []byte("OTTO not really a font file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		bad:                            "CFF outlines",
		filepath.Join(dir, "none.ttf"): "no such file",
	}
	for path, want := range tests {
		var buf bytes.Buffer
		err := RenderPDFOptions(&buf, fixtureReport(t, "en"), nil, PDFOptions{Fonts: []string{path}})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("font %s: error %v, want one naming the file and %q", path, err, want)
		}
	}
}

// TestWriteTempPanic checks that a renderer that panics leaves no temporary file and
// that the panic goes on up.
func TestWriteTempPanic(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the renderer's panic", p)
			}
		}()
		writeTemp(dir, "r.pdf", func(w io.Writer) error {
			w.Write([]byte("half a report"))
			panic("boom")
		})
	}()
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) > 0 {
		t.Errorf("left behind: %q", names)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".*")); len(names) > 0 {
		t.Errorf("left behind: %q", names)
	}
}

// TestPDFCompanyEmoji checks a company name with an emoji and invalid UTF-8, which
// also goes into the PDF's document information and the running header: the PDF
// renders, is valid, and shows the name with replacement characters.
func TestPDFCompanyEmoji(t *testing.T) {
	for _, lang := range locale.Languages {
		rep := fixtureReport(t, lang)
		rep.Company = "Bakker 😀 B.V. \xff"
		b := renderPDF(t, rep, nil, "")
		validatePDF(t, b)
		if text := pdfText(t, b); !strings.Contains(text, "Bakker \uFFFD B.V. \uFFFD") {
			t.Errorf("%s: the PDF's text lacks the company name:\n%s", lang, text)
		}
	}
}
