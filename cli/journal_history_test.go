package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/ledger"
)

// F32: history replays the delivery journal (a 250 the ledger could not
// record) before it reads the ledger, so a delivered mail shows as sent, not
// queued; and a run left "running" by a process that is gone (no claim on its
// period) shows as "interrupted?".
func TestHistoryJournalAndInterruptedRun(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo")
	var stdout, stderr strings.Builder
	if code := Main(ctx, []string{"demo", "--orders", "50", "--dir", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr.String())
	}
	cfgPath := filepath.Join(dir, "kpireport.toml")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	l, err := jobs.OpenLedger(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.StartRun(ctx, "monthly", "2026-11", ledger.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var ds []ledger.Delivery
	for _, rcpt := range []string{"directie@voorbeeld.example", "finance@voorbeeld.example"} {
		d, err := l.QueueDelivery(ctx, run.ID, "monthly", "2026-11", rcpt, "to", "<"+rcpt+"-id@kpireport.invalid>")
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	journal := delivery.NewJournal(jobs.JournalPath(cfg))
	if err := journal.Append(delivery.JournalEntry{Delivery: ds[0].ID, Job: "monthly", Period: "2026-11",
		Recipient: ds[0].Recipient, Status: ledger.DeliverySent, At: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}

	stdout.Reset()
	stderr.Reset()
	if code := Main(ctx, []string{"history", "--config", cfgPath}, &stdout, &stderr); code != 0 {
		t.Fatalf("history: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !regexp.MustCompile(`(?m)^1 +monthly +2026-11 +manual +1 +interrupted\?`).MatchString(out) {
		t.Errorf("history does not show the run of the gone process as interrupted?:\n%s", out)
	}
	if !regexp.MustCompile(`directie@voorbeeld.example +sent `).MatchString(out) {
		t.Errorf("history does not show the journaled delivery as sent:\n%s", out)
	}
	if !regexp.MustCompile(`finance@voorbeeld.example +queued `).MatchString(out) {
		t.Errorf("history does not show the other delivery as queued:\n%s", out)
	}
	if es, err := journal.Entries(); err != nil || len(es) != 0 {
		t.Errorf("the journal was not replayed into the ledger: %d entries left, %v", len(es), err)
	}
}
