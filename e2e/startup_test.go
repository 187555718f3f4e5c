package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunStartsWithoutData starts the daemon while its CSV folder is missing: before,
// it exited 1 at once (and systemd restarted it every 30s, telling nobody). Now it
// starts, warns that the data is not there, schedules every job and stops cleanly on
// SIGTERM; validate still reports the missing folder. (What a run does then is
// tested in jobs: TestDaemonStartsWithoutData.)
func TestRunStartsWithoutData(t *testing.T) {
	t.Parallel()
	cfg := demoCompany(t, "csv")
	data := filepath.Join(filepath.Dir(cfg), "data")
	if err := os.Rename(data, data+".away"); err != nil {
		t.Fatal(err)
	}
	p := startKpireport(t, nil, "run", "--config", cfg)
	eventually(t, 20*time.Second, "the daemon to schedule its jobs", func() bool {
		return strings.Count(p.stderr.String(), "msg=scheduled") == 4 // 3 jobs and the resume
	})
	stderr := p.stderr.String()
	if !strings.Contains(stderr, "level=WARN msg=\"data source not available") || !strings.Contains(stderr, data+`\" does not exist`) {
		t.Errorf("the daemon does not warn that %s is missing:\n%s", data, stderr)
	}
	if res := p.stop(t, syscall.SIGTERM, 10*time.Second); res.code != 0 {
		t.Errorf("want exit 0 after SIGTERM, got %s", res)
	}

	res := kpireport(t, nil, "validate", "--config", cfg)
	if res.code != 1 || !strings.Contains(res.stderr, "source.dir") || !strings.Contains(res.stderr, "does not exist") {
		t.Errorf("validate: want exit 1 naming source.dir, got %s", res)
	}
}
