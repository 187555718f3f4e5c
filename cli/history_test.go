package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// historyConfig is a config whose ledger is state.db in its folder.
const historyConfig = `[report]
company = "Test B.V."
timezone = "Europe/Amsterdam"

[source]
type = "csv"
dir = "."

[state]
path = "state.db"

[[jobs]]
name = "monthly"
period = "month"
schedule = "0 7 1 * *"
recipients = ["directie@example.nl"]
`

// TestHistory checks the tables of `kpireport history` against a golden file: the
// runs, the files they wrote (base name, size, short SHA-256) and the deliveries with
// the short SHA-256 of what each recipient got.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kpireport.toml")
	if err := os.WriteFile(cfg, []byte(historyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := ledger.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	l.SetClock(func() time.Time { now = now.Add(1500 * time.Millisecond); return now })
	failed, err := l.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.FinishRun(ctx, failed.ID, ledger.RunFailed, "load csv source: orders.csv line 12 column amount: \"12,3.4\" is not a decimal", nil); err != nil {
		t.Fatal(err)
	}
	ok, err := l.StartRun(ctx, "monthly", "2026-10", ledger.TriggerCatchUp)
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.QueueDelivery(ctx, ok.ID, "monthly", "2026-10", "directie@example.nl", ledger.KindTo, "<a@example.nl>")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.RecordAttempt(ctx, ledger.Attempt{ID: d.ID, Status: ledger.DeliverySent, At: now, Files: []ledger.SentFile{
		{Name: "monthly-2026-10.xlsx", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Name: "monthly-2026-10.pdf", SHA256: "cf10c512fca7e964d4a39338f9f7c6c761ac9c65bb76ee827dc8907a35e9661c"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := l.FinishRun(ctx, ok.ID, ledger.RunSucceeded, "", []ledger.Artifact{
		{Path: filepath.Join(dir, "reports", "monthly-2026-10.xlsx"), SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Bytes: 21934},
		{Path: filepath.Join(dir, "reports", "monthly-2026-10.pdf"), SHA256: "cf10c512fca7e964d4a39338f9f7c6c761ac9c65bb76ee827dc8907a35e9661c", Bytes: 620},
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := Main(ctx, []string{"history", "--config", cfg}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("history: exit %d\n%s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), dir) {
		t.Errorf("history shows the reports' folder %s; want the file names only:\n%s", dir, stdout.String())
	}
	golden := filepath.Join("testdata", "history.golden")
	if *update {
		if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != string(want) {
		t.Errorf("history (-update to rewrite %s):\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{62620, "61.2 KiB"},
		{3 << 20, "3.0 MiB"},
		{5 << 30, "5.0 GiB"},
	}
	for _, tt := range tests {
		if got := byteSize(tt.n); got != tt.want {
			t.Errorf("byteSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
