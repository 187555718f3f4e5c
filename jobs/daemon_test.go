package jobs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/demo"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

var amsterdam = mustZone("Europe/Amsterdam")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// testConfig writes a small demo company (CSV) and returns its config, with the
// ledger and outbox in the test's folder.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	res, err := demo.Generate(context.Background(), demo.Options{
		Dir: dir, Orders: 3000, Format: "csv", End: time.Date(2026, 12, 10, 0, 0, 0, 0, amsterdam),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// noGate turns the data-quality gate off: no minimum of orders, no freshness
// (a watermark 100 years before the period's end passes), no drop check.
func noGate(cfg *config.Config) {
	zero, off := int64(0), 1.0
	cfg.Quality = config.Quality{MinOrders: &zero, Freshness: &config.Duration{Duration: 100 * 365 * 24 * time.Hour}, MaxDrop: &off}
}

// onlyJob keeps the named job with schedule and catch-up mode.
func onlyJob(cfg *config.Config, name, schedule, catchUp string) *config.Job {
	i := slices.IndexFunc(cfg.Jobs, func(j config.Job) bool { return j.Name == name })
	j := cfg.Jobs[i]
	j.Schedule, j.CatchUp = schedule, catchUp
	j.Formats = []string{"pdf"}
	cfg.Jobs = []config.Job{j}
	return &cfg.Jobs[0]
}

type daemonHarness struct {
	t      *testing.T
	clock  *clockwork.FakeClock
	svc    *Service
	daemon *Daemon
	cancel context.CancelFunc
	done   chan error
	timers int // the scheduler's timers: one per gocron job
	closed bool

	mu    sync.Mutex
	fires []time.Time
}

// startDaemon starts a daemon on cfg with a fake clock at at. prepare, when set, may
// change the daemon (its Grace, its Service's senders) and fill the ledger first.
func startDaemon(t *testing.T, cfg *config.Config, at time.Time, prepare func(*Daemon)) *daemonHarness {
	t.Helper()
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &daemonHarness{t: t, clock: clockwork.NewFakeClockAt(at), svc: svc, done: make(chan error, 1)}
	h.daemon = &Daemon{Service: svc, Clock: h.clock, Grace: 5 * time.Second}
	h.daemon.fired = func(_ string, at time.Time) {
		h.mu.Lock()
		h.fires = append(h.fires, at.In(amsterdam))
		h.mu.Unlock()
	}
	if prepare != nil {
		prepare(h.daemon)
	}
	h.timers = len(cfg.Jobs)
	if cfg.Delivery.ResumeInterval.Duration > 0 {
		h.timers++
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.daemon.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// shutdown stops the daemon as SIGTERM does and returns how long Run took to
// return.
func (h *daemonHarness) shutdown() time.Duration {
	h.t.Helper()
	if h.cancel == nil {
		return 0
	}
	start := time.Now()
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("daemon: %v", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Fatalf("the daemon did not stop within 30s of the signal")
	}
	return time.Since(start)
}

// stop stops the daemon, checks that it left no run running, and closes the ledger.
func (h *daemonHarness) stop() {
	if h.closed {
		return
	}
	h.shutdown()
	h.closed = true
	runs, err := h.svc.Ledger.Runs(context.Background(), "", 0)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == ledger.RunRunning {
			h.t.Errorf("run %d (%s %s) still running after the daemon stopped", r.ID, r.Job, r.Period)
		}
	}
	h.svc.Close()
}

// advanceTo moves the fake clock to t in steps, letting the scheduler re-arm its timer
// after each step.
func (h *daemonHarness) advanceTo(t time.Time, step time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for h.clock.Now().Before(t) {
		if err := h.clock.BlockUntilContext(ctx, h.timers); err != nil {
			h.t.Fatalf("scheduler armed no timer: %v", err)
		}
		d := min(step, t.Sub(h.clock.Now()))
		h.clock.Advance(d)
		time.Sleep(time.Millisecond)
	}
}

// waitRuns waits until the ledger holds n finished runs and returns them, oldest first.
func (h *daemonHarness) waitRuns(n int) []ledger.Run {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := h.svc.Ledger.Runs(context.Background(), "", 0)
		if err != nil {
			h.t.Fatal(err)
		}
		finished := 0
		for _, r := range runs {
			if r.Status != ledger.RunRunning {
				finished++
			}
		}
		if finished >= n || time.Now().After(deadline) {
			slices.Reverse(runs)
			return runs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *daemonHarness) fireTimes() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.fires)
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("modernc.org/libc.(*TLS).Close"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// The monthly job fires at 07:00 local on 1 November 2026, a week after the change
// from summer time, reports October and mails it once to every recipient.
func TestDaemonMonthlyAfterDSTChange(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	h := startDaemon(t, cfg, time.Date(2026, 10, 31, 12, 0, 0, 0, amsterdam), nil)

	h.advanceTo(time.Date(2026, 11, 1, 6, 59, 0, 0, amsterdam), time.Hour)
	if f := h.fireTimes(); len(f) != 0 {
		t.Fatalf("fired before 07:00: %v", f)
	}
	h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Minute)
	runs := h.waitRuns(1)
	f := h.fireTimes()
	if len(f) != 1 || !f[0].Equal(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam)) {
		t.Fatalf("fires = %v, want once at 2026-11-01 07:00 CET", f)
	}
	if len(runs) != 1 || runs[0].Period != "2026-10" || runs[0].Trigger != ledger.TriggerScheduled || runs[0].Status != ledger.RunSucceeded {
		t.Fatalf("runs = %+v, want one succeeded scheduled run of 2026-10", runs)
	}
	ds, err := h.svc.Ledger.Deliveries(context.Background(), "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 { // two recipients and one cc in the demo config
		t.Fatalf("deliveries = %+v, want 3", ds)
	}
	for _, d := range ds {
		if d.Status != ledger.DeliverySent || d.Attempts != 1 {
			t.Errorf("delivery %+v, want sent after 1 attempt", d)
		}
	}
	emls, _ := filepath.Glob(filepath.Join(cfg.Delivery.OutboxDir, "*.eml"))
	if len(emls) != 3 {
		t.Errorf("outbox has %d messages, want 3", len(emls))
	}
}

// The weekly job fires on Mondays only and reports the ISO week that just ended.
func TestDaemonWeeklyOnMondays(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "weekly", "0 7 * * 1", "none")
	h := startDaemon(t, cfg, time.Date(2026, 11, 4, 12, 0, 0, 0, amsterdam), nil) // a Wednesday
	h.advanceTo(time.Date(2026, 11, 10, 12, 0, 0, 0, amsterdam), time.Hour)
	h.waitRuns(1) // a run still going when the next fire comes is skipped (singleton)
	h.advanceTo(time.Date(2026, 11, 17, 12, 0, 0, 0, amsterdam), time.Hour)
	runs := h.waitRuns(2)
	f := h.fireTimes()
	if len(f) != 2 {
		t.Fatalf("fires = %v, want 2 (9 and 16 November)", f)
	}
	for _, at := range f {
		if at.Weekday() != time.Monday || at.Hour() != 7 {
			t.Errorf("fired %v, not Monday 07:00", at)
		}
	}
	got := []string{runs[0].Period, runs[1].Period}
	if !slices.Equal(got, []string{"2026-W45", "2026-W46"}) {
		t.Errorf("periods = %v, want 2026-W45, 2026-W46", got)
	}
}

// A job at 02:30 local fires exactly once on the day the clocks skip 02:00–03:00 and
// once on the day 02:00–03:00 happens twice.
func TestDaemonDSTDaysFireOnce(t *testing.T) {
	for _, day := range []time.Time{
		time.Date(2027, 3, 28, 0, 0, 0, 0, amsterdam),  // spring forward
		time.Date(2027, 10, 31, 0, 0, 0, 0, amsterdam), // fall back
	} {
		t.Run(day.Format("2006-01-02"), func(t *testing.T) {
			cfg := testConfig(t)
			onlyJob(cfg, "monthly", "30 2 * * *", "none")
			noGate(cfg) // the demo data ends in December 2026: February 2027 has none
			h := startDaemon(t, cfg, day.Add(-12*time.Hour), nil)
			h.advanceTo(day.Add(26*time.Hour), 15*time.Minute) // not yet the next day's 02:30
			onDay := 0
			for _, at := range h.fireTimes() {
				if y, m, d := at.Date(); y == day.Year() && m == day.Month() && d == day.Day() {
					onDay++
				}
			}
			if onDay != 1 {
				t.Errorf("fired %d times on %s (%v), want 1", onDay, day.Format("2006-01-02"), h.fireTimes())
			}
			// Every fire reports the same month: the ledger runs it once.
			runs := h.waitRuns(1)
			if len(runs) != 1 {
				t.Errorf("runs = %+v, want exactly one", runs)
			}
		})
	}
}

// A daemon that was down from 30 September to 3 December catches up per catch_up.
func TestDaemonCatchUp(t *testing.T) {
	tests := []struct {
		mode string
		max  int
		want []string
	}{
		{"latest", 0, []string{"2026-11"}},
		{"all", 12, []string{"2026-09", "2026-10", "2026-11"}},
		{"all", 2, []string{"2026-10", "2026-11"}},
		{"none", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"-"+string(rune('0'+tt.max)), func(t *testing.T) {
			cfg := testConfig(t)
			job := onlyJob(cfg, "monthly", "0 7 1 * *", tt.mode)
			job.CatchUpMax = tt.max
			ctx := context.Background()
			prepare := func(d *Daemon) {
				// Responsible since 1 September; August was done before it went down.
				if _, err := d.Service.Ledger.ScheduleSince(ctx, "monthly", time.Date(2026, 9, 1, 0, 0, 0, 0, amsterdam)); err != nil {
					t.Fatal(err)
				}
				recordDone(t, d.Service, job, "2026-08")
			}
			h := startDaemon(t, cfg, time.Date(2026, 12, 3, 10, 0, 0, 0, amsterdam), prepare)
			runs := h.waitRuns(1 + len(tt.want))
			if tt.want == nil {
				time.Sleep(200 * time.Millisecond) // give a wrong catch-up the chance to show
				runs = h.waitRuns(1)
			}
			var got []string
			for _, r := range runs {
				if r.Trigger == ledger.TriggerCatchUp {
					if r.Status != ledger.RunSucceeded {
						t.Errorf("catch-up run %+v did not succeed", r)
					}
					got = append(got, r.Period)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("caught up %v, want %v", got, tt.want)
			}
		})
	}
}

// recordDone records job's period label as an earlier daemon leaves it: a
// succeeded run that mailed every recipient.
func recordDone(t *testing.T, svc *Service, job *config.Job, label string) {
	t.Helper()
	ctx := context.Background()
	run, err := svc.Ledger.StartRun(ctx, job.Name, label, ledger.TriggerScheduled)
	if err != nil {
		t.Fatal(err)
	}
	dl := &delivery.Deliverer{Ledger: svc.Ledger, Sender: senderFunc(func(context.Context, *delivery.Message, string, string) (bool, error) {
		return false, nil
	})}
	m := &delivery.Message{Job: job.Name, Period: label, From: "kpireport@localhost", To: job.Recipients, Cc: job.CC, Bcc: job.BCC, Text: "sent before"}
	if _, err := dl.Deliver(ctx, run.ID, m, false); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ledger.FinishRun(ctx, run.ID, ledger.RunSucceeded, "", nil); err != nil {
		t.Fatal(err)
	}
}

func TestMissedIgnoresHistoryBeforeTheDaemon(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "all")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, amsterdam)
	missed, err := svc.Missed(context.Background(), job, now, now)
	if err != nil || len(missed) != 0 {
		t.Fatalf("a new daemon catches up on %v (%v), want nothing", missed, err)
	}
}

func TestFireTimes(t *testing.T) {
	got, err := FireTimes("0 7 1 * *", amsterdam, time.Date(2026, 10, 1, 7, 0, 0, 0, amsterdam), time.Date(2026, 12, 1, 7, 0, 0, 0, amsterdam), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2026, 10, 1, 5, 0, 0, 0, time.UTC), // 07:00 CEST
		time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), // 07:00 CET
	}
	if len(got) != len(want) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Errorf("FireTimes = %v, want %v", got, want)
	}
	for _, f := range got {
		if p := period.LastComplete(period.Month, f, amsterdam); p.Label() != f.In(amsterdam).AddDate(0, -1, 0).Format("2006-01") {
			t.Errorf("a run at %v reports %s", f, p)
		}
	}
}

// A scheduled run that a killed process left running is finished at the next start,
// even with catch_up = "none", and sends what it owed.
func TestDaemonFinishesInterruptedRun(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	ctx := context.Background()
	prepare := func(d *Daemon) {
		if _, err := d.Service.Ledger.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled); err != nil {
			t.Fatal(err)
		}
	}
	h := startDaemon(t, cfg, time.Date(2026, 11, 1, 7, 5, 0, 0, amsterdam), prepare)
	runs := h.waitRuns(2)
	if len(runs) != 2 || runs[0].Status != ledger.RunFailed || runs[1].Status != ledger.RunSucceeded ||
		runs[1].Period != "2026-10" || runs[1].Trigger != ledger.TriggerCatchUp {
		t.Fatalf("runs = %+v, want the interrupted run failed and a catch-up run of 2026-10 succeeded", runs)
	}
	ds, err := h.svc.Ledger.Deliveries(ctx, "monthly", "2026-10")
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
}

// With catch_up = "all" a period whose run failed (here: the data did not load) is run
// again at the next firing, before the new period; nothing was sent for the failed run.
func TestDaemonRetriesFailedPeriodAtNextFiring(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "all")
	orders := filepath.Join(cfg.Source.Dir, "orders.csv")
	good, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	bad := append(slices.Clone(good), []byte("O9999999,C000001,2026-10-05 10:00:00,12.3.4,1.00,false,repeat,Anna,Noord\n")...)
	if err := os.WriteFile(orders, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	h := startDaemon(t, cfg, time.Date(2026, 10, 31, 12, 0, 0, 0, amsterdam), nil)
	h.advanceTo(time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam), time.Hour)
	runs := h.waitRuns(1)
	if len(runs) != 1 || runs[0].Status != ledger.RunFailed || !strings.Contains(runs[0].Error, "orders.csv line") {
		t.Fatalf("runs = %+v, want one failed run naming the bad line", runs)
	}
	if ds, _ := h.svc.Ledger.Deliveries(context.Background(), "monthly", "2026-10"); len(ds) != 0 {
		t.Fatalf("a failed run queued deliveries: %+v", ds)
	}
	if err := os.WriteFile(orders, good, 0o644); err != nil {
		t.Fatal(err)
	}
	h.advanceTo(time.Date(2026, 12, 1, 7, 0, 0, 0, amsterdam), 6*time.Hour)
	runs = h.waitRuns(3)
	var got []string
	for _, r := range runs[1:] {
		got = append(got, r.Period+" "+string(r.Trigger)+" "+string(r.Status))
	}
	want := []string{"2026-10 catch-up succeeded", "2026-11 scheduled succeeded"}
	if !slices.Equal(got, want) {
		t.Errorf("runs after the data was fixed = %v, want %v", got, want)
	}
}
