package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

// The demo company's monthly recipients, as the ledger keys them.
const (
	rcptDirectie = "directie@voorbeeld.example"
	rcptFinance  = "finance@voorbeeld.example"
	rcptSales    = "sales@voorbeeld.example" // cc
)

// attempt is one message a fakeSender was asked to send.
type attempt struct {
	rcpt, messageID string
	err             error
}

// fakeSender records every attempt and hands it to send, or to next when send is
// nil.
type fakeSender struct {
	next delivery.Sender
	send func(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error)

	mu       sync.Mutex
	attempts []attempt
	active   int // sends in progress
	most     int // the most sends ever in progress at once
}

func (f *fakeSender) Send(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error) {
	f.mu.Lock()
	f.active++
	f.most = max(f.most, f.active)
	send := f.send
	f.mu.Unlock()
	var retry bool
	var err error
	if send != nil {
		retry, err = send(ctx, m, rcpt, messageID)
	}
	if send == nil || errors.Is(err, errPassOn) {
		retry, err = f.next.Send(ctx, m, rcpt, messageID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active--
	f.attempts = append(f.attempts, attempt{rcpt: rcpt, messageID: messageID, err: err})
	return retry, err
}

// errPassOn is returned by a fakeSender's send to hand the message to next.
var errPassOn = errors.New("pass on")

// setSend replaces the send function.
func (f *fakeSender) setSend(send func(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error)) {
	f.mu.Lock()
	f.send = send
	f.mu.Unlock()
}

// delivered returns recipient → number of messages that went out to it.
func (f *fakeSender) delivered() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, a := range f.attempts {
		if a.err == nil {
			n[a.rcpt]++
		}
	}
	return n
}

func (f *fakeSender) tries(rcpt string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.attempts {
		if a.rcpt == rcpt {
			n++
		}
	}
	return n
}

func (f *fakeSender) mostAtOnce() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.most
}

// failTemporarily is a send that fails for rcpt as a 451 does and passes every
// other recipient on.
func failTemporarily(rcpt string) func(context.Context, *delivery.Message, string, string) (bool, error) {
	return func(_ context.Context, _ *delivery.Message, to, _ string) (bool, error) {
		if to == rcpt {
			return true, errors.New("451 4.3.0 try again later")
		}
		return false, errPassOn
	}
}

// useFakeSender puts a fakeSender in front of the service's outbox, with quick
// retries: one, after a millisecond.
func useFakeSender(svc *Service) *fakeSender {
	f := &fakeSender{next: svc.Deliverer.Sender}
	svc.Deliverer.Sender = f
	svc.Deliverer.Policy = delivery.Policy{Retries: 1, Backoff: time.Millisecond, Jitter: -1}
	return f
}

// statuses returns recipient → status of the deliveries of (job, label).
func statuses(t *testing.T, l *ledger.Ledger, job, label string) map[string]ledger.DeliveryStatus {
	t.Helper()
	ds, err := l.Deliveries(context.Background(), job, label)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]ledger.DeliveryStatus{}
	for _, d := range ds {
		m[d.Recipient] = d.Status
	}
	return m
}

func allSent(rcpts ...string) map[string]ledger.DeliveryStatus {
	m := map[string]ledger.DeliveryStatus{}
	for _, r := range rcpts {
		m[r] = ledger.DeliverySent
	}
	return m
}

// A backfill without --send leaves a succeeded run and no mail: the scheduled run of
// the same period still mails every recipient.
func TestScheduledRunDeliversAfterBackfillWithoutSend(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	var sender *fakeSender
	h := startDaemon(t, cfg, time.Date(2026, 10, 31, 12, 0, 0, 0, amsterdam), func(d *Daemon) {
		sender = useFakeSender(d.Service)
		p, err := d.Service.Runner.Period(job, "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Service.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerManual}); err != nil {
			t.Fatal(err)
		}
	})
	h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Hour)
	runs := h.waitRuns(2)
	if len(runs) != 2 || runs[1].Trigger != ledger.TriggerScheduled || runs[1].Status != ledger.RunSucceeded {
		t.Fatalf("runs = %+v, want the backfill and a succeeded scheduled run", runs)
	}
	checkDeliveredOnce(t, h.svc.Ledger, sender.delivered())
}

// At start the daemon resumes a delivery that failed temporarily, even though the
// period has a succeeded run (a backfill without --send) and catch_up is "none";
// the recipients that have the report do not get it again.
func TestStartupResumesPendingDelivery(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	var sender *fakeSender
	h := startDaemon(t, cfg, time.Date(2026, 11, 2, 9, 0, 0, 0, amsterdam), func(d *Daemon) {
		ctx := context.Background()
		sender = useFakeSender(d.Service)
		p, err := d.Service.Runner.Period(job, "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Service.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerManual}); err != nil {
			t.Fatal(err)
		}
		// The scheduled run: finance's server was down for all of its retries.
		sender.setSend(failTemporarily(rcptFinance))
		if _, err := d.Service.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true}); !errors.Is(err, delivery.ErrUndelivered) {
			t.Fatalf("scheduled run: %v, want ErrUndelivered", err)
		}
		sender.setSend(nil)
	})
	runs := h.waitRuns(3)
	if len(runs) != 3 || runs[2].Trigger != ledger.TriggerCatchUp || runs[2].Status != ledger.RunSucceeded {
		t.Fatalf("runs = %+v, want a succeeded catch-up run after the backfill and the failed run", runs)
	}
	checkDeliveredOnce(t, h.svc.Ledger, sender.delivered())
}

// Deliveries whose retries ran out during a long SMTP outage are sent once the
// server is back, at the first resume at least resume_interval after the failed run,
// with catch_up = "latest" and no restart; the recipients that had the report are
// not sent it again.
func TestDaemonResumesOwedDeliveries(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	var sender *fakeSender
	start := time.Date(2026, 11, 1, 6, 55, 0, 0, amsterdam) // resumes at 07:05, 07:15, ...
	h := startDaemon(t, cfg, start, func(d *Daemon) {
		d.Service.Ledger.SetClock(d.Clock.Now)
		sender = useFakeSender(d.Service)
		sender.setSend(failTemporarily(rcptFinance))
	})
	h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Minute)
	runs := h.waitRuns(1)
	if len(runs) != 1 || runs[0].Status != ledger.RunFailed {
		t.Fatalf("runs = %+v, want the scheduled run failed", runs)
	}
	if got := statuses(t, h.svc.Ledger, "monthly", "2026-10")[rcptFinance]; got != ledger.DeliveryFailedTemp || sender.tries(rcptFinance) != 2 {
		t.Fatalf("finance: %s after %d attempts, want failed-temporary after 2", got, sender.tries(rcptFinance))
	}

	sender.setSend(nil) // the server is back
	h.advanceTo(time.Date(2026, 11, 1, 7, 14, 0, 0, amsterdam), time.Minute)
	time.Sleep(100 * time.Millisecond)
	if runs := h.waitRuns(1); len(runs) != 1 {
		t.Fatalf("runs before the resume interval = %+v, want still 1 (the resume at 07:05 is within 10m of the failure)", runs)
	}
	h.advanceTo(time.Date(2026, 11, 1, 7, 15, 0, 0, amsterdam), time.Minute)
	runs = h.waitRuns(2)
	if len(runs) != 2 || runs[1].Trigger != ledger.TriggerCatchUp || runs[1].Status != ledger.RunSucceeded || runs[1].Period != "2026-10" ||
		!runs[1].StartedAt.Equal(time.Date(2026, 11, 1, 7, 15, 0, 0, amsterdam)) {
		t.Fatalf("runs = %+v, want a succeeded catch-up run of 2026-10 at 07:15", runs)
	}
	// Later resumes find nothing owed.
	h.advanceTo(time.Date(2026, 11, 1, 7, 40, 0, 0, amsterdam), 5*time.Minute)
	time.Sleep(100 * time.Millisecond)
	if runs := h.waitRuns(2); len(runs) != 2 {
		t.Errorf("runs = %+v, want no more after the deliveries were made", runs)
	}
	checkDeliveredOnce(t, h.svc.Ledger, sender.delivered())
}

// resumesAt moves the clock to first, then on by step (the daemon's resume_interval,
// so that each step is a resume) until it is at until, and checks that a run starts
// at each of the times at and at no other step.
// After a step in at it waits for the run to finish before the clock goes on (so the
// run ends when it started); after any other it gives a wrong run a moment to show.
func (h *daemonHarness) resumesAt(first time.Time, step time.Duration, until time.Time, at ...time.Time) {
	h.t.Helper()
	all := func() []ledger.Run { // finished or not
		runs, err := h.svc.Ledger.Runs(context.Background(), "", 0)
		if err != nil {
			h.t.Fatal(err)
		}
		return runs
	}
	n := len(all())
	for next := first; !next.After(until); next = next.Add(step) {
		h.advanceTo(next, step)
		if !slices.ContainsFunc(at, next.Equal) {
			time.Sleep(50 * time.Millisecond)
			if runs := all(); len(runs) != n {
				h.t.Fatalf("a run started at %s (%+v), want runs only at %s",
					next.In(amsterdam).Format("15:04:05"), runs[0], clockTimes(at))
			}
			continue
		}
		n++
		runs := h.waitRuns(n)
		if len(runs) != n || !runs[n-1].StartedAt.Equal(next) || !runs[n-1].FinishedAt.Equal(next) {
			h.t.Fatalf("runs = %+v, want run %d at %s", runs, n, next.In(amsterdam).Format("15:04:05"))
		}
	}
}

// clockTimes formats ts as Amsterdam clock times.
func clockTimes(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.In(amsterdam).Format("15:04:05"))
	}
	return out
}

// runTimes returns the start of each run, as clock time, trigger and status.
func runTimes(runs []ledger.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.StartedAt.In(amsterdam).Format("15:04:05")+" "+string(r.Trigger)+" "+string(r.Status))
	}
	return out
}

// During a long SMTP outage the daemon does not run a period whose mail is owed
// again at every resume: it waits resume_interval after the failed run, then twice
// as long after each further run that could not deliver (10m, 20m, 40m, ...; the
// resumes come at 07:00:30, 07:10:30, ..., so the runs are exactly that far apart).
// Once the server is back, the recipient still owed the report gets it once and those
// that had it are not mailed again.
func TestDaemonBacksOffOwedDeliveries(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 1, h, m, s, 0, amsterdam) }
	var sender *fakeSender
	h := startDaemon(t, cfg, at(6, 50, 30), func(d *Daemon) { // resumes at 07:00:30, 07:10:30, ...
		d.Service.Ledger.SetClock(d.Clock.Now)
		sender = useFakeSender(d.Service)
		sender.setSend(failTemporarily(rcptFinance)) // finance's server is down for hours
	})
	h.advanceTo(at(7, 0, 0), time.Minute)
	if runs := h.waitRuns(1); len(runs) != 1 || runs[0].Status != ledger.RunFailed {
		t.Fatalf("runs = %+v, want the scheduled run failed", runs)
	}
	// Still down: 10m, 20m, 40m, 80m, 160m after the run before (none at 07:00:30,
	// 30s after the failure).
	h.resumesAt(at(7, 0, 30), 10*time.Minute, at(12, 10, 30),
		at(7, 10, 30), at(7, 30, 30), at(8, 10, 30), at(9, 30, 30), at(12, 10, 30))
	sender.setSend(nil) // the server is back; the next resume comes 320m after the last failure
	h.resumesAt(at(12, 20, 30), 10*time.Minute, at(19, 0, 30), at(17, 30, 30))

	want := []string{"07:00:00 scheduled failed", "07:10:30 catch-up failed", "07:30:30 catch-up failed",
		"08:10:30 catch-up failed", "09:30:30 catch-up failed", "12:10:30 catch-up failed", "17:30:30 catch-up succeeded"}
	if got := runTimes(h.waitRuns(len(want))); !slices.Equal(got, want) {
		t.Errorf("runs of 2026-10 = %v, want %v", got, want)
	}
	if got, want := sender.tries(rcptFinance), 2*6+1; got != want { // a retry in each failed run
		t.Errorf("finance was tried %d times, want %d", got, want)
	}
	if got := sender.delivered(); !maps.Equal(got, map[string]int{rcptDirectie: 1, rcptFinance: 1, rcptSales: 1}) {
		t.Errorf("mails sent = %v, want one to each recipient", got)
	}
	if got, want := statuses(t, h.svc.Ledger, "monthly", "2026-10"), allSent(rcptDirectie, rcptFinance, rcptSales); !maps.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

// A restart during the wait before the next resume of owed mail resumes it at once;
// the wait after that counts on from the ledger, the failed runs before the restart
// included, and another restart resumes at once again. Each recipient is mailed once.
func TestRestartResumesOwedDeliveriesDuringBackoff(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 1, h, m, s, 0, amsterdam) }
	var senders []*fakeSender
	start := func(now time.Time, down bool) *daemonHarness {
		return startDaemon(t, cfg, now, func(d *Daemon) {
			d.Service.Ledger.SetClock(d.Clock.Now)
			s := useFakeSender(d.Service)
			if down {
				s.setSend(failTemporarily(rcptFinance))
			}
			senders = append(senders, s)
		})
	}
	h := start(at(6, 50, 30), true) // resumes at 07:00:30, 07:10:30, ...
	h.advanceTo(at(7, 0, 0), time.Minute)
	h.waitRuns(1)
	h.resumesAt(at(7, 0, 30), 10*time.Minute, at(7, 20, 30), at(7, 10, 30)) // the next waits 20m: to 07:30:30
	h.advanceTo(at(7, 25, 0), time.Minute)
	h.stop()

	// Restarted at 07:25, the server still down: resumed at once. The third failed
	// run in a row waits 40m, to 08:05, though the server is back just after it.
	h = start(at(7, 25, 0), true) // resumes at 07:35, 07:45, ...
	if runs := h.waitRuns(3); len(runs) != 3 || !runs[2].StartedAt.Equal(at(7, 25, 0)) || runs[2].Status != ledger.RunFailed {
		t.Fatalf("runs = %+v, want a failed catch-up at the restart at 07:25", runs)
	}
	senders[1].setSend(nil)
	h.resumesAt(at(7, 35, 0), 10*time.Minute, at(7, 55, 0))
	h.stop()

	// Restarted at 07:55, within the wait: resumed at once.
	h = start(at(7, 55, 0), false)
	want := []string{"07:00:00 scheduled failed", "07:10:30 catch-up failed", "07:25:00 catch-up failed", "07:55:00 catch-up succeeded"}
	if got := runTimes(h.waitRuns(len(want))); !slices.Equal(got, want) {
		t.Errorf("runs of 2026-10 = %v, want %v", got, want)
	}
	h.resumesAt(at(8, 5, 0), 10*time.Minute, at(9, 0, 0))
	delivered := map[string]int{}
	for _, s := range senders {
		for rcpt, n := range s.delivered() {
			delivered[rcpt] += n
		}
	}
	checkDeliveredOnce(t, h.svc.Ledger, delivered)
}

// stallUntilDone is a send that blocks until its context ends, as a server that
// stops answering does; entered gets the recipient of each stalled send.
func stallUntilDone(entered chan<- string) func(context.Context, *delivery.Message, string, string) (bool, error) {
	return func(ctx context.Context, _ *delivery.Message, rcpt, _ string) (bool, error) {
		select {
		case entered <- rcpt:
		default:
		}
		<-ctx.Done()
		return true, fmt.Errorf("stalled: %w", context.Cause(ctx))
	}
}

// waitFinished waits, at most limit, until (job, label) has a finished run, and
// returns it.
func waitFinished(t *testing.T, l *ledger.Ledger, limit time.Duration) ledger.Run {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		runs, err := l.Runs(context.Background(), "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status != ledger.RunRunning {
			return runs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run finished within %v: %+v", limit, runs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A run that takes longer than the job's timeout is cancelled through its context
// and recorded as failed, while the daemon goes on.
func TestDaemonRunTimeout(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	job.Timeout = config.Duration{Duration: 1500 * time.Millisecond}
	entered := make(chan string, 1)
	h := startDaemon(t, cfg, time.Date(2026, 11, 1, 6, 0, 0, 0, amsterdam), func(d *Daemon) {
		useFakeSender(d.Service).setSend(stallUntilDone(entered))
	})
	h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Hour)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		runs, _ := h.svc.Ledger.Runs(context.Background(), "", 0)
		t.Fatalf("the run never reached the send: %+v fires %v now %v", runs, h.fireTimes(), h.clock.Now())
	}
	run := waitFinished(t, h.svc.Ledger, 5*time.Second)
	if run.Status != ledger.RunFailed || !strings.Contains(run.Error, "deadline exceeded") {
		t.Errorf("run = %+v, want failed for its deadline", run)
	}
	if took := run.FinishedAt.Sub(run.StartedAt); took < job.Timeout.Duration-time.Second/2 || took > job.Timeout.Duration+2*time.Second {
		t.Errorf("the run took %v, want about its timeout of %v", took, job.Timeout.Duration)
	}
	if got := statuses(t, h.svc.Ledger, "monthly", "2026-10")[rcptDirectie]; got != ledger.DeliveryFailedTemp {
		t.Errorf("the stalled delivery is %s, want failed-temporary (owed)", got)
	}
}

// A run in flight when the daemon is told to stop finishes if it can within the
// grace period; one that cannot is cancelled through its context when the grace
// period ends. Either way the ledger ends consistent: no run left running, no
// claim left held, and what was not sent is owed.
func TestDaemonGracefulShutdown(t *testing.T) {
	t.Run("finishes within the grace period", func(t *testing.T) {
		cfg := testConfig(t)
		onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
		entered, release := make(chan string, 1), make(chan struct{})
		var sender *fakeSender
		h := startDaemon(t, cfg, time.Date(2026, 11, 1, 6, 0, 0, 0, amsterdam), func(d *Daemon) {
			d.Grace = 10 * time.Second
			sender = useFakeSender(d.Service)
			sender.setSend(func(ctx context.Context, _ *delivery.Message, rcpt, _ string) (bool, error) {
				if rcpt == rcptDirectie {
					entered <- rcpt
					select {
					case <-release:
					case <-ctx.Done():
						return true, context.Cause(ctx)
					}
				}
				return false, errPassOn
			})
		})
		h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Hour)
		<-entered
		time.AfterFunc(500*time.Millisecond, func() { close(release) })
		took := h.shutdown()
		if took < 400*time.Millisecond || took > 5*time.Second {
			t.Errorf("stopped after %v, want when the run finished (~500ms)", took)
		}
		checkConsistent(t, h.svc.Ledger)
		runs := h.waitRuns(1)
		if len(runs) != 1 || runs[0].Status != ledger.RunSucceeded {
			t.Fatalf("runs = %+v, want the run in flight succeeded", runs)
		}
		want := allSent(rcptDirectie, rcptFinance, rcptSales)
		if got := statuses(t, h.svc.Ledger, "monthly", "2026-10"); !maps.Equal(got, want) {
			t.Errorf("deliveries = %v, want %v", got, want)
		}
	})

	t.Run("cancelled after the grace period", func(t *testing.T) {
		cfg := testConfig(t)
		onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
		entered := make(chan string, 1)
		grace := 700 * time.Millisecond
		h := startDaemon(t, cfg, time.Date(2026, 11, 1, 6, 0, 0, 0, amsterdam), func(d *Daemon) {
			d.Grace = grace
			useFakeSender(d.Service).setSend(stallUntilDone(entered))
		})
		h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Hour)
		<-entered
		took := h.shutdown()
		if took < grace || took > grace+5*time.Second {
			t.Errorf("stopped after %v, want just after the grace period of %v", took, grace)
		}
		checkConsistent(t, h.svc.Ledger)
		runs := h.waitRuns(1)
		if len(runs) != 1 || runs[0].Status != ledger.RunFailed || !strings.Contains(runs[0].Error, "context canceled") {
			t.Fatalf("runs = %+v, want the run in flight failed, cancelled", runs)
		}
		pending, err := h.svc.Ledger.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 3 {
			t.Errorf("pending deliveries = %+v, want all 3 owed", pending)
		}
	})
}

// checkConsistent checks that the ledger holds no running run and no claim.
func checkConsistent(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	running, err := l.Running(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 0 {
		t.Errorf("runs left running: %+v", running)
	}
	if c, ok, err := l.ClaimOf(context.Background(), "monthly", "2026-10"); err != nil || ok {
		t.Errorf("claim left: %+v, %v", c, err)
	}
}

// A run that takes longer than the time between two firings of its job never
// overlaps itself: the firings during the run are skipped (singleton mode), and the
// schedule goes on after it.
func TestDaemonSingleton(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	cfg.Delivery.ResumeInterval = config.Duration{} // one timer: the job's
	entered, release := make(chan string, 1), make(chan struct{})
	var sender *fakeSender
	h := startDaemon(t, cfg, time.Date(2026, 11, 3, 10, 0, 0, 0, amsterdam), func(d *Daemon) {
		d.schedule = func(*config.Job) gocron.JobDefinition { return gocron.DurationJob(time.Minute) }
		sender = useFakeSender(d.Service)
		sender.setSend(func(ctx context.Context, _ *delivery.Message, rcpt, _ string) (bool, error) {
			if rcpt == rcptDirectie {
				entered <- rcpt
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			return false, errPassOn
		})
	})
	h.advanceTo(time.Date(2026, 11, 3, 10, 1, 0, 0, amsterdam), time.Minute)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first firing never reached the send")
	}
	h.advanceTo(time.Date(2026, 11, 3, 10, 6, 0, 0, amsterdam), time.Minute)
	time.Sleep(200 * time.Millisecond) // give a wrong firing the chance to show
	if f := h.fireTimes(); len(f) != 1 {
		t.Errorf("fired %d times while the first run was in flight (%v), want once", len(f), f)
	}
	close(release)
	waitFinished(t, h.svc.Ledger, 10*time.Second)
	h.advanceTo(time.Date(2026, 11, 3, 10, 8, 0, 0, amsterdam), time.Minute)
	if f := h.fireTimes(); len(f) < 2 {
		t.Errorf("fired %v, want the schedule to go on after the run", f)
	}
	if n := sender.mostAtOnce(); n != 1 {
		t.Errorf("%d sends at once, want 1", n)
	}
	if runs := h.waitRuns(1); len(runs) != 1 || runs[0].Status != ledger.RunSucceeded {
		t.Errorf("runs = %+v, want one succeeded run (later firings find the period done)", runs)
	}
}

// A run whose data does not load (a bad row in orders.csv) sends the operators a
// failure notice naming the problem, and nothing to the recipients.
func TestRunNotifiesOperatorsWhenDataDoesNotLoad(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.Operators = []string{"Beheer <it@voorbeeld.example>"}
	orders := filepath.Join(cfg.Source.Dir, "orders.csv")
	f, err := os.OpenFile(orders, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("O9999999,C000001,2026-10-05 10:00:00,12.3.4,1.00,false,repeat,Anna,Noord\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	reports := useFakeSender(svc)
	var got []*delivery.Message // the notices
	svc.Sender = &fakeSender{send: func(_ context.Context, m *delivery.Message, _, _ string) (bool, error) {
		got = append(got, m) // Run sends its notices one after the other
		return false, nil
	}}
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}

	res, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err == nil || !strings.Contains(err.Error(), "orders.csv line") {
		t.Fatalf("Run = %v, want the bad line of orders.csv", err)
	}
	if res == nil || res.Delivery != nil || len(res.Files) != 0 {
		t.Errorf("result = %+v, want no files and no delivery", res)
	}
	if n := len(reports.delivered()); n != 0 {
		t.Errorf("report mails went to %d recipients, want none", n)
	}
	if ds, _ := svc.Ledger.Deliveries(context.Background(), "monthly", "2026-10"); len(ds) != 0 {
		t.Errorf("deliveries = %+v, want none", ds)
	}
	if len(got) != 1 {
		t.Fatalf("%d notices sent, want one to the operator", len(got))
	}
	m := got[0]
	if m.Subject != "kpireport: run of monthly for 2026-10 failed" || !slices.Equal(m.To, cfg.Delivery.Operators) ||
		!strings.Contains(m.Text, "orders.csv line") || !strings.Contains(m.Text, `"12.3.4"`) || len(m.Attachments) != 0 {
		t.Errorf("notice = %q to %v:\n%s", m.Subject, m.To, m.Text)
	}
}

// Missed counts a period as done only when it has a succeeded run and every
// recipient has the report: a succeeded run that sent nothing (a backfill without
// --send) leaves it missed.
func TestMissedCountsOnlyDeliveredPeriods(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "all")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	useFakeSender(svc)
	for _, label := range []string{"2026-09", "2026-10"} {
		p, err := svc.Runner.Period(job, label)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerManual, Send: label == "2026-09"}); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Date(2026, 10, 1, 0, 0, 0, 0, amsterdam)
	missed, err := svc.Missed(ctx, job, since, time.Date(2026, 12, 3, 0, 0, 0, 0, amsterdam))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range missed {
		got = append(got, p.Label())
	}
	if want := []string{"2026-10", "2026-11"}; !slices.Equal(got, want) {
		t.Errorf("missed = %v, want %v (2026-09 was mailed, 2026-10 only rendered)", got, want)
	}
}

// A daemon that starts just before a firing may find the run of that firing in the
// ledger when it closes the runs a stopped process left running: it is left alone.
func TestCloseInterruptedLeavesRunInFlight(t *testing.T) {
	svc, job, p, _ := claimTestService(t)
	ctx := t.Context()
	c, err := svc.claim(ctx, job, p) // a run of this process, in flight
	if err != nil || c.holder != "" {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	defer c.release()
	live, err := svc.Ledger.StartRun(ctx, job.Name, p.Label(), ledger.TriggerScheduled)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := svc.Ledger.StartRun(ctx, "weekly", "2026-W44", ledger.TriggerScheduled) // left by a stopped process
	if err != nil {
		t.Fatal(err)
	}
	found, err := svc.closeInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != stale.ID {
		t.Errorf("closeInterrupted found %+v, want only the stale run %d", found, stale.ID)
	}
	running, err := svc.Ledger.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 1 || running[0].ID != live.ID {
		t.Errorf("running = %+v, want the run in flight (%d) only", running, live.ID)
	}
	if held, ok, err := svc.Ledger.ClaimOf(ctx, job.Name, p.Label()); err != nil || !ok || held.Node != "replica-a" {
		t.Errorf("claim of the run in flight = %+v, %v, %v; want still held by replica-a", held, ok, err)
	}
}

// checkDeliveredOnce checks that each recipient of the monthly test job has the
// 2026-10 report as sent in the ledger, and that delivered (mails handed to the
// sender, by recipient) is one each.
func checkDeliveredOnce(t *testing.T, l *ledger.Ledger, delivered map[string]int) {
	t.Helper()
	if got, want := statuses(t, l, "monthly", "2026-10"), allSent(rcptDirectie, rcptFinance, rcptSales); !maps.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
	if !maps.Equal(delivered, map[string]int{rcptDirectie: 1, rcptFinance: 1, rcptSales: 1}) {
		t.Errorf("mails sent = %v, want one to each recipient", delivered)
	}
}
