package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// generateSend is the command line of a manual run that mails October 2026.
func generateSend(cfg string, extra ...string) []string {
	return append([]string{"generate", "--config", cfg, "--job", "monthly", "--period", "2026-10", "--send"}, extra...)
}

// TestCrashSafety kills kpireport with SIGKILL in the two places where a crash can
// hurt a delivery and checks that a restart neither loses a mail nor sends a
// duplicate the ledger could have prevented.
//
// The one unavoidable duplicate: when the process dies after the server has the
// whole message but before the ledger records the delivery as sent, the ledger
// cannot know that the mail went out, so the restart sends it again. Both copies
// carry the same Message-ID (derived from job, period and recipient), so a receiving
// system or mail client can recognise and drop the second.
func TestCrashSafety(t *testing.T) {
	t.Parallel()

	t.Run("killed after the send, before the ledger records it", func(t *testing.T) {
		t.Parallel()
		cfg, srv := crashSetup(t)
		killInData(t, cfg, srv)

		res := restartAfterCrash(t, cfg)
		for _, want := range []string{
			"already sent to " + rcptDirectie, "sent to " + rcptFinance, "sent to " + rcptSales,
		} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("restart: stdout lacks %q\n%s", want, res)
			}
		}
		checkAfterDataCrash(t, srv)

		hist := historyOf(t, nil, cfg)
		if len(hist.Runs) == 0 || hist.Runs[0].Job != "monthly" || hist.Runs[0].Period != "2026-10" ||
			hist.Runs[0].Status != "succeeded" || hist.Runs[0].Attempt != 2 {
			t.Errorf("history: newest run is not attempt 2 of monthly 2026-10, succeeded: %+v", hist.Runs)
		}
		if len(hist.Runs) != 2 {
			t.Fatalf("history: want the killed run and the restart, got %+v", hist.Runs)
		}
		checkInterrupted(t, hist.Runs[1])
		checkAllSent(t, hist)
	})

	t.Run("killed after the render, before the send", func(t *testing.T) {
		t.Parallel()
		cfg, srv := crashSetup(t)
		h := srv.HoldConnect()
		p := startKpireport(t, nil, generateSend(cfg)...)
		h.wait(t, "at the first connection")
		// The process is connecting to send, so the reports are rendered.
		for _, name := range []string{"monthly-2026-10.xlsx", "monthly-2026-10.pdf"} {
			if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "reports", name)); err != nil {
				t.Errorf("before the send: %v", err)
			}
		}
		p.kill9(t)
		h.release()
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("the server has %d messages before any DATA", n)
		}

		res := restartAfterCrash(t, cfg)
		for _, rcpt := range demoRecipients {
			if !strings.Contains(res.stdout, "sent to "+rcpt) || strings.Contains(res.stdout, "already sent to "+rcpt) {
				t.Errorf("restart: stdout does not say it sent to %s\n%s", rcpt, res)
			}
			if n := len(srv.MessagesTo(rcpt)); n != 1 {
				t.Errorf("%s got %d messages, want exactly 1", rcpt, n)
			}
		}
		if n := len(srv.Messages()); n != len(demoRecipients) {
			t.Errorf("the server has %d messages, want %d", n, len(demoRecipients))
		}
		hist := historyOf(t, nil, cfg)
		if len(hist.Runs) == 0 || hist.Runs[0].Status != "succeeded" {
			t.Errorf("history: newest run did not succeed: %+v", hist.Runs)
		}
		if len(hist.Runs) != 2 {
			t.Fatalf("history: want the killed run and the restart, got %+v", hist.Runs)
		}
		checkInterrupted(t, hist.Runs[1])
		checkAllSent(t, hist)
	})

	t.Run("the daemon resumes what a killed run left unsent", func(t *testing.T) {
		t.Parallel()
		cfg, srv := crashSetup(t)
		killInData(t, cfg, srv)

		d := startKpireport(t, nil, "run", "--config", cfg)
		eventually(t, 20*time.Second, "the daemon to deliver the unsent mail", func() bool {
			return len(srv.MessagesTo(rcptSales)) >= 1 && len(srv.MessagesTo(rcptFinance)) >= 2
		})
		eventually(t, 20*time.Second, "the daemon's run to finish in the ledger", func() bool {
			hist := historyOf(t, nil, cfg)
			return len(hist.Runs) == 2 && hist.Runs[0].Status != "running"
		})
		res := d.stop(t, syscall.SIGTERM, 15*time.Second)
		if res.code != 0 {
			t.Errorf("daemon after SIGTERM: want exit 0, got %s", res)
		}
		checkAfterDataCrash(t, srv)

		hist := historyOf(t, nil, cfg)
		if len(hist.Runs) != 2 {
			t.Fatalf("history: want the killed run and the daemon's, got %+v", hist.Runs)
		}
		if r := hist.Runs[0]; r.Trigger != "catch-up" || r.Status != "succeeded" || r.Attempt != 2 {
			t.Errorf("history: the daemon's run is not a succeeded catch-up, attempt 2: %s", r.Line)
		}
		checkInterrupted(t, hist.Runs[1])
		checkAllSent(t, hist)
	})
}

// crashLease is the [cluster] lease of the crash tests: how long the claim of a
// killed process on its (job, period) outlives it.
const crashLease = time.Second

// crashSetup writes a demo company that mails through a new in-process server, with
// a short claim lease.
func crashSetup(t *testing.T) (cfg string, srv *mailServer) {
	t.Helper()
	srv = startMailServer(t, nil)
	cfg = demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port, "", "")
	appendConfig(t, cfg, fmt.Sprintf("\n[cluster]\nlease = %q\n", crashLease.String()))
	return cfg, srv
}

// restartAfterCrash runs generate --send again after a kill. Until the killed
// process's claim on the period expires (at most a lease), a manual run is refused
// with "claimed by"; an operator would wait and retry, and so does this.
func restartAfterCrash(t *testing.T, cfg string) result {
	t.Helper()
	start := time.Now()
	deadline := start.Add(crashLease + 2*time.Second)
	for {
		res := kpireport(t, nil, generateSend(cfg)...)
		switch {
		case res.code == 0:
			t.Logf("restart succeeded %s after the kill", time.Since(start).Round(time.Millisecond))
			return res
		case res.code == 1 && strings.Contains(res.stderr, "claimed by") && time.Now().Before(deadline):
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("restart after the kill (%s later): want exit 0 once the dead process's claim expired (lease %s), got %s",
				time.Since(start).Round(time.Millisecond), crashLease, res)
		}
	}
}

// checkInterrupted checks that the killed run ended in the ledger as failed and
// interrupted.
func checkInterrupted(t *testing.T, r historyRun) {
	t.Helper()
	if r.Attempt != 1 || r.Status != "failed" || !strings.Contains(r.Line, "interrupted") {
		t.Errorf("history: the killed run (attempt 1) is not marked failed as interrupted: %s", r.Line)
	}
}

// killInData starts a manual run and kills it when the server has received the
// whole message to the second recipient, before the server answers it: the first
// recipient is sent and recorded, the second is on the wire, the third not started.
func killInData(t *testing.T, cfg string, srv *mailServer) {
	t.Helper()
	h := srv.HoldData(rcptFinance)
	p := startKpireport(t, nil, generateSend(cfg)...)
	h.wait(t, "in the DATA to "+rcptFinance)
	p.kill9(t)
	h.release()
	for rcpt, want := range map[string]int{rcptDirectie: 1, rcptFinance: 1, rcptSales: 0} {
		if n := len(srv.MessagesTo(rcpt)); n != want {
			t.Fatalf("after the kill %s has %d messages, want %d", rcpt, n, want)
		}
	}
}

// checkAfterDataCrash checks the mail after a crash inside the DATA to the second
// recipient and a restart: the second recipient got the same message twice (the
// unavoidable window), the others exactly once.
func checkAfterDataCrash(t *testing.T, srv *mailServer) {
	t.Helper()
	ids := map[string]string{}
	for rcpt, want := range map[string]int{rcptDirectie: 1, rcptFinance: 2, rcptSales: 1} {
		got := srv.MessagesTo(rcpt)
		if len(got) != want {
			t.Errorf("%s got %d messages, want %d", rcpt, len(got), want)
			continue
		}
		ids[rcpt] = got[0].MessageID(t)
		if ids[rcpt] == "" {
			t.Errorf("the message to %s has no Message-ID", rcpt)
		}
		for _, m := range got[1:] {
			if id := m.MessageID(t); id != ids[rcpt] {
				t.Errorf("%s: the resent copy has Message-ID %q, the first %q; a receiver cannot drop the duplicate", rcpt, id, ids[rcpt])
			}
		}
	}
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("the server has %d messages, want 4", n)
	}
	seen := map[string]string{}
	for rcpt, id := range ids {
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s got the same Message-ID %s", rcpt, other, id)
		}
		seen[id] = rcpt
	}
}

// checkAllSent checks that the ledger has every recipient of monthly 2026-10 sent.
func checkAllSent(t *testing.T, h history) {
	t.Helper()
	got := h.deliveryStatuses("monthly", "2026-10")
	for _, rcpt := range demoRecipients {
		if got[rcpt] != "sent" {
			t.Errorf("history: delivery to %s is %q, want sent (all: %v)", rcpt, got[rcpt], got)
		}
	}
	if len(got) != len(demoRecipients) {
		t.Errorf("history: deliveries %v, want exactly %v", got, demoRecipients)
	}
}
