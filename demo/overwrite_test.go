package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateTwice checks that demo runs again into its own folder, in either
// format and after the other one, and that its config starts with Marker.
func TestGenerateTwice(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{FormatSQLite, FormatSQLite, FormatCSV, FormatCSV, FormatSQLite} {
		res, err := Generate(context.Background(), testOptions(dir, format, 200))
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		b, err := os.ReadFile(res.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(Marker+" ")) {
			t.Errorf("config starts with %q, want the marker %q", strings.SplitN(string(b), "\n", 2)[0], Marker)
		}
	}
}

// TestGenerateRefusesOthersFiles checks that Generate does not replace a config or a
// data file that kpireport demo did not write: it writes nothing and its error names
// the file and --force. With Force it replaces them.
func TestGenerateRefusesOthersFiles(t *testing.T) {
	const own = "# my config\n[report]\ncompany = \"Mine\"\n"
	tests := []struct {
		name, format string
		files        map[string]string // relative path → content
		refused      string            // the file the error names; "" if allowed
	}{
		{"own config", FormatSQLite, map[string]string{"kpireport.toml": own}, "kpireport.toml"},
		{"own config, csv", FormatCSV, map[string]string{"kpireport.toml": own}, "kpireport.toml"},
		{"empty config", FormatSQLite, map[string]string{"kpireport.toml": ""}, "kpireport.toml"},
		{"marker not first", FormatSQLite, map[string]string{"kpireport.toml": "[report]\n" + Marker + "\n"}, "kpireport.toml"},
		{"own database", FormatSQLite, map[string]string{"data/kpireport.db": "not a demo"}, "data/kpireport.db"},
		{"own csv", FormatCSV, map[string]string{"data/orders.csv": "order_id\n1\n"}, "data/orders.csv"},
		{"own csv, sqlite demo", FormatSQLite, map[string]string{"data/orders.csv": "order_id\n1\n"}, ""},
		{"demo config", FormatSQLite, map[string]string{"kpireport.toml": Marker + " (seed 1)\n", "data/kpireport.db": "x"}, ""},
		{"older demo config", FormatCSV, map[string]string{"kpireport.toml": legacyMarker + " (seed 1, 20000 orders).\n", "data/orders.csv": "x"}, ""},
		{"CRLF demo config", FormatSQLite, map[string]string{"kpireport.toml": Marker + "\r\n"}, ""},
		{"other files", FormatSQLite, map[string]string{"notes.txt": "mine", "reports/monthly-2026-10.pdf": "pdf"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for rel, content := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := readTree(t, dir)
			_, err := Generate(context.Background(), testOptions(dir, tt.format, 100))
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("Generate = %v, want it to write the demo", err)
				}
				for rel, content := range tt.files {
					if !strings.HasPrefix(rel, "kpireport.toml") && !strings.HasPrefix(rel, "data/") {
						if got := string(readTree(t, dir)[rel]); got != content {
							t.Errorf("%s changed to %q", rel, got)
						}
					}
				}
				return
			}
			if !errors.Is(err, ErrNotDemo) {
				t.Fatalf("Generate = %v, want ErrNotDemo", err)
			}
			for _, s := range []string{filepath.Join(dir, filepath.FromSlash(tt.refused)), "--force"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			after := readTree(t, dir)
			if len(after) != len(before) {
				t.Errorf("Generate wrote files: %v, before %v", keys(after), keys(before))
			}
			for rel, b := range before {
				if !bytes.Equal(after[rel], b) {
					t.Errorf("%s changed", rel)
				}
			}
			// --force replaces them.
			opt := testOptions(dir, tt.format, 100)
			opt.Force = true
			res, err := Generate(context.Background(), opt)
			if err != nil {
				t.Fatalf("with Force: %v", err)
			}
			if b, _ := os.ReadFile(res.ConfigPath); !bytes.HasPrefix(b, []byte(Marker)) {
				t.Errorf("with Force the config is not the demo's: %q", b)
			}
		})
	}
}
