package jobs

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

// A daemon that starts while its CSV folder is missing (a mount not there yet) runs
// the period due at start, which fails for the missing data: the run is recorded as
// failed with the reason and the operators get the failure notice. Once the folder is
// there, the retry (after the resume interval) mails the report to every recipient
// and the operators hear that it was sent.
func TestDaemonStartsWithoutData(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.Operators = []string{operator}
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	away := cfg.Source.Dir + ".away"
	if err := os.Rename(cfg.Source.Dir, away); err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckData(); err == nil || !strings.Contains(err.Error(), "source.dir") {
		t.Fatalf("CheckData = %v, want source.dir missing", err)
	}
	start := time.Date(2026, 11, 2, 9, 5, 0, 0, amsterdam) // October fired on 1 November, while down
	h := startDaemon(t, cfg, start, func(d *Daemon) {
		d.Service.Ledger.SetClock(d.Clock.Now)
		if _, err := d.Service.Ledger.ScheduleSince(context.Background(), job.Name, time.Date(2026, 10, 1, 0, 0, 0, 0, amsterdam)); err != nil {
			t.Fatal(err)
		}
	})
	runs := h.waitRuns(1)
	if len(runs) != 1 || runs[0].Status != ledger.RunFailed || runs[0].Period != "2026-10" || !strings.Contains(runs[0].Error, "does not exist") {
		t.Fatalf("runs = %+v, want the catch-up of 2026-10 failed for the missing folder", runs)
	}
	outbox := h.svc.Sender.(*delivery.Outbox)
	waitFile(t, outbox.Path("monthly", "2026-10-failure", operator)) // sent after the run is recorded
	if _, text := mailText(t, outbox.Path("monthly", "2026-10-failure", operator)); !strings.Contains(text, "does not exist") {
		t.Errorf("failure notice:\n%s\nwant the missing folder", text)
	}

	if err := os.Rename(away, cfg.Source.Dir); err != nil {
		t.Fatal(err)
	}
	h.advanceSettled(start.Add(30*time.Minute), 10*time.Minute)
	runs = h.waitRuns(2)
	if len(runs) != 2 || runs[1].Status != ledger.RunSucceeded || runs[1].Trigger != ledger.TriggerCatchUp || runs[1].Period != "2026-10" {
		t.Fatalf("runs = %+v, want the retry of 2026-10 to succeed once the folder is there", runTimes(runs))
	}
	for _, rcpt := range []string{rcptDirectie, rcptFinance, rcptSales} {
		if _, err := os.Stat(outbox.Path("monthly", "2026-10", rcpt)); err != nil {
			t.Errorf("the report did not go to %s: %v", rcpt, err)
		}
	}
	waitFile(t, outbox.Path("monthly", "2026-10-recovered", operator))
}

// waitFile waits, at most 10s, until path exists.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, err := os.Stat(path)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", path, err)
		}
	}
}
