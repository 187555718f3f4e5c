package delivery

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

// The journal keeps facts across processes (a new Journal on the same file), skips
// a line cut short by a crash, replays what the ledger takes and keeps the rest.
func TestJournalReplay(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "ledger.db"))
	m := testMessage([]string{"a@example.com", "b@example.com"}, nil, nil)
	run := startRun(t, l, m)
	var ids []int64
	for _, r := range m.To {
		d, err := l.QueueDelivery(t.Context(), run, m.Job, m.Period, r, ledger.KindTo, "<"+r+">")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	path := filepath.Join(dir, "ledger.db.journal")
	at := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	files := []ledger.SentFile{{Name: "monthly-2026-10.pdf", SHA256: "ab12"}}
	j := NewJournal(path)
	for i, r := range m.To {
		if err := j.Append(JournalEntry{Delivery: ids[i], Job: m.Job, Period: m.Period, Recipient: r,
			Status: ledger.DeliverySent, At: at, Files: files}); err != nil {
			t.Fatal(err)
		}
	}
	// A fact for a delivery the ledger does not have, and a torn last line.
	if err := j.Append(JournalEntry{Delivery: 999, Job: m.Job, Period: m.Period, Recipient: "gone@example.com", Status: ledger.DeliverySent, At: at}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"delivery":2,"job":"mon`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	j = NewJournal(path) // as the next process
	sent, err := j.Sent(m.Job, m.Period)
	if err != nil || !sent["a@example.com"] || !sent["b@example.com"] || len(sent) != 3 {
		t.Fatalf("Sent = %v, %v; want a, b and gone", sent, err)
	}
	// The ledger already has b: the replay must not fail on it.
	if err := l.MarkAttempt(t.Context(), ids[1], ledger.DeliverySent, "", at); err != nil {
		t.Fatal(err)
	}
	replayed, left, err := j.Replay(t.Context(), l)
	if err != nil || replayed != 3 || left != 0 {
		t.Fatalf("Replay = %d, %d, %v; want 3 replayed, none left", replayed, left, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("journal after a full replay: %v; want it removed", err)
	}
	a := delivery(t, l, m, "a@example.com")
	if a.Status != ledger.DeliverySent || !a.SentAt.Equal(at) || len(a.Files) != 1 || a.Files[0] != files[0] {
		t.Errorf("a after replay = %+v, want sent at %v with %v", a, at, files)
	}
	if sent, _ := j.Sent(m.Job, m.Period); len(sent) != 0 {
		t.Errorf("Sent after replay = %v, want none", sent)
	}
}

// Facts the ledger cannot take stay in the journal, and their recipients keep
// counting as sent.
func TestJournalReplayKeepsWhatFails(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "ledger.db"))
	j := NewJournal(filepath.Join(dir, "j"))
	e := JournalEntry{Delivery: 1, Job: "monthly", Period: "2026-10", Recipient: "a@example.com", Status: ledger.DeliverySent, At: time.Now()}
	if err := j.Append(e); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	replayed, left, err := j.Replay(t.Context(), l)
	if err == nil || replayed != 0 || left != 1 {
		t.Fatalf("Replay into a closed ledger = %d, %d, %v; want an error and 1 left", replayed, left, err)
	}
	if sent, err := j.Sent("monthly", "2026-10"); err != nil || !sent["a@example.com"] {
		t.Errorf("Sent = %v, %v; want a still sent", sent, err)
	}
}
