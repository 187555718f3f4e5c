package jobs

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

// lockLedger takes the SQLite ledger's write lock from a second *sql.DB, as another
// process would, and returns the function that releases it.
func lockLedger(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_, err := conn.ExecContext(context.Background(), "ROLLBACK")
			if err = errors.Join(err, conn.Close(), db.Close()); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// lockAfterFirst is a Sender that passes every message to next and, right after the
// first one went out (the server's 250), locks the ledger at path for hold.
func lockAfterFirst(t *testing.T, next delivery.Sender, path string, hold time.Duration) (*fakeSender, chan struct{}) {
	released := make(chan struct{})
	var once sync.Once
	f := &fakeSender{next: next}
	f.send = func(ctx context.Context, m *delivery.Message, rcpt, id string) (bool, error) {
		retry, err := next.Send(ctx, m, rcpt, id)
		if err == nil {
			once.Do(func() {
				release := lockLedger(t, path)
				time.AfterFunc(hold, func() { release(); close(released) })
			})
		}
		return retry, err
	}
	return f, released
}

// The ledger is locked by another process for 8 s, longer than its 5 s busy
// timeout, right after the server accepted the first recipient's message: the
// write is retried until it succeeds, the run succeeds, and no one is mailed twice.
func TestLedgerLockedAfterSendIsRetried(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	sender, released := lockAfterFirst(t, svc.Deliverer.Sender, cfg.State.Path, 8*time.Second)
	svc.Deliverer.Sender = sender
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	<-released
	if took := time.Since(start); took < 8*time.Second {
		t.Errorf("the run took %s; the lock was held 8 s, so the ledger write did not wait for it", took)
	}
	if res.Run.Status != ledger.RunSucceeded && res.Run.ID == 0 {
		t.Errorf("run = %+v", res.Run)
	}
	checkDeliveredOnce(t, svc.Ledger, sender.delivered())
	if _, err := os.Stat(JournalPath(cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal %s: %v; want none, the ledger took the write", JournalPath(cfg), err)
	}
	// The next run finds the period done.
	res, err = svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err != nil || !res.Skipped {
		t.Fatalf("second run: %+v, %v; want skipped", res, err)
	}
	checkDeliveredOnce(t, svc.Ledger, sender.delivered())
}

// The lock is held past the run's deadline: the sent delivery goes to the journal,
// counts as sent while the ledger is still locked, is replayed at the next start,
// and the next run mails only the recipients not yet served.
func TestLedgerLockedPastDeadlineIsJournaled(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sender, released := lockAfterFirst(t, svc.Deliverer.Sender, cfg.State.Path, 14*time.Second)
	svc.Deliverer.Sender = sender
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	_, err = svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if !errors.Is(err, delivery.ErrJournaled) {
		t.Fatalf("run: %v, want ErrJournaled", err)
	}
	first := slicesKeys(sender.delivered())
	if len(first) != 1 {
		t.Fatalf("delivered %v, want one recipient before the ledger locked", sender.delivered())
	}
	entries, err := delivery.NewJournal(JournalPath(cfg)).Entries()
	if err != nil || len(entries) != 1 || entries[0].Recipient != first[0] || entries[0].Status != ledger.DeliverySent || len(entries[0].Files) != 1 {
		t.Fatalf("journal = %+v, %v; want %s sent with its file", entries, err, first[0])
	}
	// Still locked: the journal's recipient is not owed.
	owed, err := svc.Deliverer.Owed(context.Background(), &delivery.Message{Job: job.Name, Period: "2026-10", To: job.Recipients, Cc: job.CC})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range owed {
		if r == first[0] {
			t.Errorf("owed %v holds %s, which the journal has as sent", owed, r)
		}
	}
	<-released
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	// The next start replays the journal before it sends anything.
	svc, err = OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	if got := statuses(t, svc.Ledger, job.Name, "2026-10")[first[0]]; got != ledger.DeliverySent {
		t.Errorf("after the start, %s is %s in the ledger, want sent", first[0], got)
	}
	if _, err := os.Stat(JournalPath(cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal %s after replay: %v; want it removed", JournalPath(cfg), err)
	}
	sender.next = svc.Deliverer.Sender
	sender.setSend(nil)
	svc.Deliverer.Sender = sender
	if _, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true}); err != nil {
		t.Fatalf("next run: %v", err)
	}
	checkDeliveredOnce(t, svc.Ledger, sender.delivered())
}

func slicesKeys(m map[string]int) []string { return slices.Collect(maps.Keys(m)) }

// The PostgreSQL ledger goes down right after the server accepted the first
// recipient's message and comes back 3 s later (a restart): the ledger write is
// retried until it succeeds, and no one is mailed twice. The cluster is the test's
// own; the shared server is never restarted.
func TestLedgerPostgresRestartAfterSend(t *testing.T) {
	pg := startPrivatePostgres(t)
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.OpenPostgres(context.Background(), pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	_ = svc.Ledger.Close()
	svc.Ledger, svc.Deliverer.Ledger = l, l
	t.Cleanup(func() { _ = svc.Close() })

	var once sync.Once
	restarted := make(chan struct{})
	sender := &fakeSender{next: svc.Deliverer.Sender}
	sender.send = func(ctx context.Context, m *delivery.Message, rcpt, id string) (bool, error) {
		retry, err := sender.next.Send(ctx, m, rcpt, id)
		if err == nil {
			once.Do(func() {
				t.Cleanup(func() { <-restarted }) // before the cluster's own cleanup
				pg.ctl(t, "stop", "-m", "fast")
				time.AfterFunc(3*time.Second, func() { pg.ctl(t, "start"); close(restarted) })
			})
		}
		return retry, err
	}
	svc.Deliverer.Sender = sender
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true}); err != nil {
		t.Fatalf("run: %v", err)
	}
	<-restarted
	checkDeliveredOnce(t, svc.Ledger, sender.delivered())
	res, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err != nil || !res.Skipped {
		t.Fatalf("second run: %+v, %v; want skipped", res, err)
	}
	checkDeliveredOnce(t, svc.Ledger, sender.delivered())
}
