package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateRenders checks that validate renders every job's last complete period:
// a logo that starts like a PNG but is none passed validate before and failed every
// run; now validate fails with one line per job. The temporary folder it renders into
// is removed.
func TestValidateRenders(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	good := demoConfig(t, nil)
	badLogo := demoConfig(t, func(s string) string {
		return strings.Replace(s, "output_dir = \"reports\"\n", "output_dir = \"reports\"\nlogo = \"logo.png\"\n", 1)
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(badLogo), "logo.png"), []byte("\x89PNG\r\n\x1a\nnot an image"), 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"validate", "--config", good}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "every job renders (3 jobs)") {
		t.Errorf("validate of the demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code := Main(context.Background(), []string{"validate", "--config", badLogo}, &stdout, &stderr)
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	if code != 1 || len(lines) != 3 {
		t.Fatalf("validate with a bad logo: exit %d, %d lines of stderr, want 1 and one per job:\n%s", code, len(lines), stderr.String())
	}
	for i, job := range []string{"monthly", "weekly", "quarterly"} {
		if !strings.HasPrefix(lines[i], "kpireport validate: jobs["+job+"]: render 2") || !strings.Contains(lines[i], "bad logo") {
			t.Errorf("line %d = %q, want jobs[%s]: render <period>: ... bad logo", i+1, lines[i], job)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("validate left %d entries in the temporary folder, such as %s", len(entries), entries[0].Name())
	}
	for _, cfg := range []string{good, badLogo} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "reports")); !os.IsNotExist(err) {
			t.Errorf("validate wrote to the output folder: %v", err)
		}
	}
}

// validate says "(1 job)", not "(1 jobs)" (tryout F5).
func TestJobCount(t *testing.T) {
	for n, want := range map[int]string{1: "1 job", 2: "2 jobs", 3: "3 jobs"} {
		if got := jobCount(n); got != want {
			t.Errorf("jobCount(%d) = %q, want %q", n, got, want)
		}
	}
}
