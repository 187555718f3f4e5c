package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dirNames returns the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestGenerate(t *testing.T) {
	rep := fixtureReport(t, "nl")
	dir := filepath.Join(t.TempDir(), "out", "reports") // created by Generate
	files, err := Generate(context.Background(), rep, Options{Dir: dir, Formats: []string{FormatXLSX, FormatPDF}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"monthly-2026-10.pdf", "monthly-2026-10.xlsx"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for i, format := range []string{FormatXLSX, FormatPDF} {
		f := files[i]
		if f.Format != format || f.Path != filepath.Join(dir, "monthly-2026-10."+format) {
			t.Errorf("file %d: %+v", i, f)
		}
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if f.Bytes != int64(len(b)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: %d bytes %s, file has %d bytes %x", format, f.Bytes, f.SHA256, len(b), sum)
		}
		if fi, _ := os.Stat(f.Path); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", format, fi.Mode())
		}
	}
	validatePDF(t, mustRead(t, files[1].Path))
	if _, err := openXLSX(t, mustRead(t, files[0].Path)).GetSheetIndex("Samenvatting"); err != nil {
		t.Error(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateFilename(t *testing.T) {
	rep := fixtureReport(t, "en")
	rep.Company = "../Evil/Co"
	dir := t.TempDir()
	files, err := Generate(context.Background(), rep, Options{Dir: dir, Formats: []string{FormatPDF}, Filename: "{{company}} {{ period }}"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "_Evil_Co 2026-10.pdf"); files[0].Path != want {
		t.Errorf("path %q, want %q", files[0].Path, want)
	}
}

// TestGenerateFailureLeavesNothing makes the second format fail after the first
// rendered, and cancels a run: neither leaves a file, temporary or not.
func TestGenerateFailureLeavesNothing(t *testing.T) {
	rep := fixtureReport(t, "en")
	notImage := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(notImage, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		opt  Options
		want error
	}{
		{"bad logo", context.Background(), Options{Formats: []string{FormatXLSX, FormatPDF}, Logo: notImage}, ErrLogo},
		{"canceled", canceled, Options{Formats: []string{FormatXLSX, FormatPDF}}, context.Canceled},
		{"unknown format", context.Background(), Options{Formats: []string{FormatXLSX, "docx"}}, ErrFormat},
		{"format twice", context.Background(), Options{Formats: []string{FormatPDF, FormatPDF}}, ErrFormat},
		{"no format", context.Background(), Options{}, ErrFormat},
		{"broken template", context.Background(), Options{Formats: []string{FormatXLSX}, Template: "nosuch"}, ErrTemplate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Dir = t.TempDir()
			files, err := Generate(tt.ctx, rep, tt.opt)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if files != nil {
				t.Errorf("files %v", files)
			}
			if names := dirNames(t, tt.opt.Dir); len(names) > 0 {
				t.Errorf("left %v", names)
			}
		})
	}
}

// TestGenerateNow renders a report without a generation time (Generate stamps it
// with Options.Now) and leaves the caller's report as it was.
func TestGenerateNow(t *testing.T) {
	rep := fixtureReport(t, "en")
	rep.GeneratedAt = time.Time{}
	now := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	files, err := Generate(context.Background(), rep, Options{Dir: t.TempDir(), Formats: []string{FormatXLSX}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.GeneratedAt.IsZero() {
		t.Error("Generate changed the report")
	}
	props, err := openXLSX(t, mustRead(t, files[0].Path)).GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	// The files' date is the end of the data (October 2026 in Amsterdam), not Now:
	// the same data gives the same bytes (tryout F8).
	if props.Created != "2026-10-31T23:00:00Z" || props.Modified != props.Created {
		t.Errorf("created %q, modified %q, want the end of the period", props.Created, props.Modified)
	}
}

// BenchmarkGenerate renders both files of the fixture report (18 KPIs, 12-period
// trends, reps and regions) and writes them.
func BenchmarkGenerate(b *testing.B) {
	rep := fixtureReport(b, "nl")
	opt := Options{Dir: b.TempDir(), Formats: []string{FormatXLSX, FormatPDF}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(context.Background(), rep, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderXLSX(b *testing.B) {
	rep := fixtureReport(b, "nl")
	b.ReportAllocs()
	for b.Loop() {
		renderXLSX(b, rep)
	}
}

func BenchmarkRenderPDF(b *testing.B) {
	rep := fixtureReport(b, "nl")
	b.ReportAllocs()
	for b.Loop() {
		renderPDF(b, rep, nil, "")
	}
}
