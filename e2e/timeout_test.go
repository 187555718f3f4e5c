package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestManualSendObeysJobTimeout runs generate --send and backfill --send against an
// SMTP server that stalls at the greeting: the job's timeout (3s; the SMTP timeout is
// 30s) ends each run, which exits 1 with one line saying so, and the ledger records
// the run as failed with the same reason. (Before, generate --send ignored the job's
// timeout and waited for the SMTP timeout of each attempt of each recipient.)
func TestManualSendObeysJobTimeout(t *testing.T) {
	t.Parallel()
	commands := map[string]func(cfg string) []string{
		"generate --send": func(cfg string) []string { return generateSend(cfg) },
		"backfill --send": func(cfg string) []string {
			return []string{"backfill", "--config", cfg, "--job", "monthly", "--from", "2026-10", "--to", "2026-10", "--send"}
		},
	}
	for name, args := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startMailServer(t, nil)
			stall := srv.HoldConnect() // released when the test ends
			cfg := demoCompany(t, "csv")
			useSMTP(t, cfg, srv.Port, "", "")
			editConfig(t, cfg, "name = \"monthly\"\n", "name = \"monthly\"\ntimeout = \"3s\"\n")

			start := time.Now()
			res := kpireport(t, nil, args(cfg)...)
			took := time.Since(start)
			stall.wait(t, "at the greeting")
			const want = "run timed out after 3s (jobs[monthly].timeout)"
			// One line for the error, naming every recipient not reached.
			lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
			if res.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "kpireport ") || !strings.Contains(lines[0], want) {
				t.Errorf("want exit 1 and one line of stderr with %q, got %s", want, res)
			}
			for _, rcpt := range demoRecipients {
				if !strings.Contains(res.stderr, rcpt) {
					t.Errorf("stderr does not name %s: %q", rcpt, res.stderr)
				}
			}
			if took > 15*time.Second {
				t.Errorf("the run took %v, want about the job's timeout of 3s", took)
			}
			hist := historyOf(t, nil, cfg)
			if len(hist.Runs) != 1 || hist.Runs[0].Status != "failed" || !strings.Contains(hist.Runs[0].Line, "timed out after 3s") {
				t.Errorf("history: want one failed run that timed out, got %+v", hist.Runs)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("the stalled server received %d messages", n)
			}
		})
	}
}
