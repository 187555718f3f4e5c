package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
)

// TestReportFonts checks [report] fonts: relative paths resolve against the file's
// folder, and a file that is missing or not a single TrueType font is a problem at
// its key path.
func TestReportFonts(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"data/orders.csv":  nil,
		"fonts/ok.ttf":     goregular.TTF,
		"fonts/cff.otf":    append([]byte("OTTO"), goregular.TTF[4:]...),
		"fonts/coll.ttc":   append([]byte("ttcf"), goregular.TTF[4:]...),
		"fonts/notes.ttf":  []byte("not a font at all"),
		"fonts/broken.ttf": goregular.TTF[:200],
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := func(fonts string) string {
		return "[report]\ncompany = \"Test B.V.\"\nfonts = " + fonts + "\n[source]\ntype = \"csv\"\ndir = \"data\"\n" +
			"[[jobs]]\nname = \"m\"\nperiod = \"month\"\nschedule = \"0 7 1 * *\"\n"
	}

	c, err := Parse([]byte(config(`["fonts/ok.ttf"]`)), dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "fonts", "ok.ttf"); len(c.Report.Fonts) != 1 || c.Report.Fonts[0] != want {
		t.Errorf("report.fonts = %q, want [%q]", c.Report.Fonts, want)
	}

	tests := []struct {
		name, fonts, key, message string
	}{
		{"missing", `["fonts/ok.ttf", "fonts/none.ttf"]`, "report.fonts[1]", "does not exist"},
		{"cff", `["fonts/cff.otf"]`, "report.fonts[0]", "CFF outlines"},
		{"collection", `["fonts/ok.ttf", "fonts/coll.ttc"]`, "report.fonts[1]", "font collection"},
		{"not a font", `["fonts/notes.ttf"]`, "report.fonts[0]", "is not a TrueType font"},
		{"broken", `["fonts/broken.ttf"]`, "report.fonts[0]", "is not a TrueType font"},
		{"folder", `["fonts"]`, "report.fonts[0]", "is a folder"},
		{"empty", `[""]`, "report.fonts[0]", "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(config(tt.fonts)), dir)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Key == tt.key && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("problems %v, want %s: ...%s...", ve.Problems, tt.key, tt.message)
		})
	}
}
