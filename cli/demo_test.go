package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoOverwrite runs `kpireport demo` twice into one folder (as `make demo`
// does), then into a folder with a config of someone's own: refused with exit code 1
// and one line naming the file and --force, the config unchanged; --force replaces it.
func TestDemoOverwrite(t *testing.T) {
	run := func(args ...string) (int, string) {
		var stdout, stderr strings.Builder
		code := Main(context.Background(), append([]string{"demo", "--orders", "50"}, args...), &stdout, &stderr)
		return code, stderr.String()
	}
	dir := filepath.Join(t.TempDir(), "kpireport-demo")
	for i := range 2 {
		if code, stderr := run("--dir", dir); code != 0 {
			t.Fatalf("demo run %d: exit %d: %s", i+1, code, stderr)
		}
	}
	own := filepath.Join(t.TempDir(), "mine")
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(own, "kpireport.toml")
	const mine = "[report]\ncompany = \"Mine\"\n"
	if err := os.WriteFile(cfg, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := run("--dir", own)
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, cfg) || !strings.Contains(stderr, "--force") {
		t.Errorf("demo over a config of one's own: exit %d, stderr %q; want 1 and one line naming %s and --force", code, stderr, cfg)
	}
	if b, _ := os.ReadFile(cfg); string(b) != mine {
		t.Errorf("the config was changed: %q", b)
	}
	if _, err := os.Stat(filepath.Join(own, "data")); err == nil {
		t.Error("a refused demo wrote a data folder")
	}
	if code, stderr := run("--dir", own, "--force"); code != 0 {
		t.Errorf("demo --force: exit %d: %s", code, stderr)
	}
}
