package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputFolders checks that a report.output_dir or delivery.outbox_dir that
// cannot be created (a file in its path) is refused by validate, naming the key,
// and that a run's error names the key too (tryout F26).
func TestOutputFolders(t *testing.T) {
	blocked := func(key string) string {
		return demoConfig(t, func(s string) string {
			return strings.Replace(s, key+` = "`, key+` = "afile/`, 1)
		})
	}
	outputDir, outboxDir := blocked("output_dir"), blocked("outbox_dir")
	for _, cfg := range []string{outputDir, outboxDir} {
		if err := os.WriteFile(filepath.Join(filepath.Dir(cfg), "afile"), []byte("a file\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oct := []string{"--job", "monthly", "--period", "2026-10"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"validate: output_dir", []string{"validate", "--config", outputDir}, "kpireport validate: report.output_dir: mkdir "},
		{"validate: outbox_dir", []string{"validate", "--config", outboxDir}, "kpireport validate: delivery.outbox_dir: mkdir "},
		{"generate: output_dir", append([]string{"generate", "--config", outputDir}, oct...), "report.output_dir: mkdir "},
		{"generate --send: output_dir", append([]string{"generate", "--config", outputDir, "--send"}, oct...), "report.output_dir: mkdir "},
		{"generate --send: outbox_dir", append([]string{"generate", "--config", outboxDir, "--send"}, oct...), "delivery.outbox_dir: mkdir "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, &stdout, &stderr)
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], tt.want) || !strings.HasSuffix(lines[0], "afile: not a directory") {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and one line with %q ending \"afile: not a directory\"", code, stderr.String(), tt.want)
			}
		})
	}
	// A folder that does not exist yet is fine: validate leaves nothing behind.
	fresh := demoConfig(t, func(s string) string {
		return strings.Replace(s, `output_dir = "`, `output_dir = "new/sub/`, 1)
	})
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"validate", "--config", fresh}, &stdout, &stderr); code != 0 {
		t.Fatalf("validate of a new output_dir: exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(fresh), "new")); !os.IsNotExist(err) {
		t.Errorf("validate left the folder it tried: %v", err)
	}
}
