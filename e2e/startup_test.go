package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// F28: a daemon started while its data source is missing tells the operators
// at start, in one notice that names the source and the next run that will
// fail; a restart within 24 hours does not repeat it.
func TestRunNotifiesUnavailableSource(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, nil)
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port, "", fmt.Sprintf("operators = [%q]\n", operator))
	data := filepath.Join(filepath.Dir(cfg), "data")
	if err := os.Rename(data, data+".away"); err != nil {
		t.Fatal(err)
	}
	notices := func() []string {
		var out []string
		for _, m := range srv.Messages() {
			if len(m.Rcpts) == 1 && m.Rcpts[0] == operator {
				out = append(out, mailText(t, m.Data))
			}
		}
		return out
	}
	for start := 1; start <= 2; start++ {
		p := startKpireport(t, nil, "run", "--config", cfg)
		eventually(t, 20*time.Second, "the daemon to schedule its jobs", func() bool {
			return strings.Count(p.stderr.String(), "msg=scheduled") == 4
		})
		if res := p.stop(t, syscall.SIGTERM, 10*time.Second); res.code != 0 {
			t.Errorf("start %d: want exit 0 after SIGTERM, got %s", start, res)
		}
		got := notices()
		if len(got) != 1 {
			t.Fatalf("after start %d: the operator got %d notices, want 1:\n%s", start, len(got), strings.Join(got, "\n---\n"))
		}
		want := fmt.Sprintf("data source not available: source.dir: %q does not exist; the next runs, ", data)
		if !strings.Contains(got[0], want) || !strings.Contains(got[0], "will fail unless it is fixed") ||
			!regexp.MustCompile(`monthly \d{4}-\d\d on \d{4}-\d\d-01 07:00`).MatchString(got[0]) {
			t.Errorf("the notice does not say what is missing and which run will fail (want %q):\n%s", want, got[0])
		}
	}
}
