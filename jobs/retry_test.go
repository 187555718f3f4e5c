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

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

// retryAt counts the wait from the end of the newest failed run of the streak.
func TestRetryAt(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	failed := func(m int) ledger.Run {
		return ledger.Run{Status: ledger.RunFailed, FinishedAt: t0.Add(time.Duration(m) * time.Minute)}
	}
	tests := []struct {
		name   string
		streak []ledger.Run // newest first
		want   time.Time
	}{
		{"none: at once", nil, time.Time{}},
		{"one", []ledger.Run{failed(0)}, t0.Add(10 * time.Minute)},
		{"three", []ledger.Run{failed(30), failed(10), failed(0)}, t0.Add(70 * time.Minute)},
		{"capped", []ledger.Run{failed(900), failed(500), failed(300), failed(150), failed(70), failed(30), failed(10), failed(0)}, t0.Add(900*time.Minute + 6*time.Hour)},
	}
	for _, tt := range tests {
		if got := retryAt(tt.streak, 10*time.Minute); !got.Equal(tt.want) {
			t.Errorf("%s: retryAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNotified(t *testing.T) {
	at := func(h float64) time.Time {
		return time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC).Add(time.Duration(h * float64(time.Hour)))
	}
	failed := func(h float64) ledger.Run {
		return ledger.Run{Status: ledger.RunFailed, Error: "load csv source: orders.csv line 3", FinishedAt: at(h)}
	}
	interrupted := func(h float64) ledger.Run {
		return ledger.Run{Status: ledger.RunFailed, Error: interruptedMsg, FinishedAt: at(h)}
	}
	tests := []struct {
		name   string
		streak []ledger.Run // oldest first, for reading
		want   []bool       // oldest first
	}{
		{"none", nil, nil},
		{"first", []ledger.Run{failed(0)}, []bool{true}},
		{"within a day", []ledger.Run{failed(0), failed(1), failed(23.9)}, []bool{true, false, false}},
		{"a day later", []ledger.Run{failed(0), failed(6), failed(24), failed(30), failed(48.5)}, []bool{true, false, true, false, true}},
		{"interrupted first", []ledger.Run{interrupted(0), failed(1), failed(2)}, []bool{false, true, false}},
		{"only interrupted", []ledger.Run{interrupted(0), interrupted(1)}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streak := slices.Clone(tt.streak)
			slices.Reverse(streak)
			got := notified(streak)
			slices.Reverse(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("notified = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFailureStreak(t *testing.T) {
	run := func(id int64, s ledger.RunStatus) ledger.Run { return ledger.Run{ID: id, Status: s} }
	tests := []struct {
		name string
		runs []ledger.Run // newest first
		want []int64
	}{
		{"no runs", nil, nil},
		{"latest succeeded", []ledger.Run{run(3, ledger.RunSucceeded), run(2, ledger.RunFailed)}, nil},
		{"latest running", []ledger.Run{run(3, ledger.RunRunning), run(2, ledger.RunFailed)}, nil},
		{"since the success", []ledger.Run{run(4, ledger.RunFailed), run(3, ledger.RunFailed), run(2, ledger.RunSucceeded), run(1, ledger.RunFailed)}, []int64{4, 3}},
		{"all failed", []ledger.Run{run(2, ledger.RunFailed), run(1, ledger.RunFailed)}, []int64{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, r := range failureStreak(tt.runs) {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("failureStreak = %v, want %v", got, tt.want)
			}
		})
	}
}

// breakOrders appends a bad row to the source's orders.csv and returns the function
// that puts the good file back.
func breakOrders(t *testing.T, cfg *config.Config) (fix func()) {
	t.Helper()
	orders := filepath.Join(cfg.Source.Dir, "orders.csv")
	good, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	bad := append(slices.Clone(good), []byte("O9999999,C000001,2026-10-05 10:00:00,12.3.4,1.00,false,repeat,Anna,Noord\n")...)
	if err := os.WriteFile(orders, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.WriteFile(orders, good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// noticeBox collects the notices a Service sends to its operators.
type noticeBox struct {
	mu       sync.Mutex
	subjects []string
	texts    []string
}

func (b *noticeBox) sender() delivery.Sender {
	return &fakeSender{send: func(_ context.Context, m *delivery.Message, _, _ string) (bool, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.subjects = append(b.subjects, m.Subject)
		b.texts = append(b.texts, m.Text)
		return false, nil
	}}
}

func (b *noticeBox) got() ([]string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.subjects), slices.Clone(b.texts)
}

// A monthly report whose data did not load at 07:00 (and again at the first retry)
// is run again while the daemon runs, with catch_up = "latest": an interval after the
// failure, then two intervals after that, and is delivered once when the data loads.
// The operators get one failure notice and one notice that it was sent; with
// catch_up = "none" the daemon does not try again.
func TestDaemonRetriesFailedRunWithBackoff(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 1, h, m, 0, 0, amsterdam) }
	for _, mode := range []string{"latest", "none"} {
		t.Run(mode, func(t *testing.T) {
			cfg := testConfig(t)
			onlyJob(cfg, "monthly", "0 7 1 * *", mode)
			cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
			cfg.Delivery.Operators = []string{"Beheer <it@voorbeeld.example>"}
			fix := breakOrders(t, cfg)
			var sender *fakeSender
			notices := &noticeBox{}
			h := startDaemon(t, cfg, day(6, 55), func(d *Daemon) { // resumes at 07:05, 07:15, ...
				d.Service.Ledger.SetClock(d.Clock.Now)
				sender = useFakeSender(d.Service)
				d.Service.Sender = notices.sender()
			})
			h.advanceTo(day(7, 0), time.Minute)
			if runs := h.waitRuns(1); len(runs) != 1 || runs[0].Status != ledger.RunFailed {
				t.Fatalf("runs = %+v, want the scheduled run failed", runs)
			}
			if mode == "none" {
				fix()
				h.advanceTo(day(9, 0), 5*time.Minute)
				time.Sleep(100 * time.Millisecond) // give a wrong retry the chance to show
				if runs := h.waitRuns(1); len(runs) != 1 {
					t.Errorf("runs = %+v, want no retry with catch_up = \"none\"", runs)
				}
				return
			}
			h.advanceTo(day(7, 15), time.Minute)
			if runs := h.waitRuns(2); len(runs) != 2 || runs[1].Status != ledger.RunFailed {
				t.Fatalf("runs = %+v, want the first retry failed too", runs)
			}
			fix()
			h.advanceTo(day(7, 34), time.Minute)
			time.Sleep(100 * time.Millisecond) // give a retry before its wait the chance to show
			if runs := h.waitRuns(2); len(runs) != 2 {
				t.Fatalf("runs = %+v, want no retry before 07:35 (20m after the first retry)", runs)
			}
			h.advanceTo(day(7, 35), time.Minute) // the clock stands still during the run
			h.waitRuns(3)
			h.advanceTo(day(9, 0), 5*time.Minute)
			time.Sleep(100 * time.Millisecond) // give a retry after the success the chance to show
			runs := h.waitRuns(3)
			var got []string
			for _, r := range runs {
				got = append(got, r.StartedAt.In(amsterdam).Format("15:04")+" "+string(r.Trigger)+" "+string(r.Status))
			}
			want := []string{"07:00 scheduled failed", "07:15 catch-up failed", "07:35 catch-up succeeded"}
			if !slices.Equal(got, want) {
				t.Errorf("runs of 2026-10 = %v, want %v (retries 10m, then 20m after a failure)", got, want)
			}
			if got := sender.delivered(); len(got) != 3 || got[rcptDirectie] != 1 || got[rcptFinance] != 1 || got[rcptSales] != 1 {
				t.Errorf("mails sent = %v, want one to each recipient", got)
			}
			subjects, texts := notices.got()
			wantSubjects := []string{"kpireport: run of monthly for 2026-10 failed", "kpireport: monthly 2026-10 sent after 2 failed runs"}
			if !slices.Equal(subjects, wantSubjects) {
				t.Fatalf("notices = %q, want %q", subjects, wantSubjects)
			}
			if !strings.Contains(texts[0], "orders.csv line") || !strings.Contains(texts[1], "after 2 failed runs") {
				t.Errorf("notices:\n%s\n---\n%s", texts[0], texts[1])
			}
		})
	}
}

// The periodic resume picks the due period of a job for another run only when it
// is not done, its latest run failed and the wait after that failure is over.
func TestRetryPeriods(t *testing.T) {
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, amsterdam)
	tests := []struct {
		name    string
		catchUp string
		since   time.Time                                                // the daemon responsible since
		prepare func(*testing.T, *Service, *config.Job, func(time.Time)) // fill the ledger; set its clock
		want    bool
	}{
		{
			name: "failed long ago", want: true,
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-time.Hour))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
		{
			name: "failed within the wait",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-5 * time.Minute))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
		{
			name: "third failure within twice the wait of the second",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-3 * time.Hour))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
				at(now.Add(-30 * time.Minute)) // the third retry waits 40m
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
		{
			name: "done, then a failed run by hand",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-48 * time.Hour))
				recordDone(t, svc, job, "2026-10")
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
		{
			name: "latest run succeeded",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-time.Hour))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
				recordRun(t, svc, job, "2026-10", ledger.RunSucceeded) // a backfill without --send
			},
		},
		{
			name: "only an older period failed",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-time.Hour))
				recordRun(t, svc, job, "2026-09", ledger.RunFailed)
			},
			since: time.Date(2026, 9, 15, 0, 0, 0, 0, amsterdam),
		},
		{
			name: "not responsible at the firing", since: time.Date(2026, 11, 2, 0, 0, 0, 0, amsterdam),
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-time.Hour))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
		{
			name: "catch_up none", catchUp: "none",
			prepare: func(t *testing.T, svc *Service, job *config.Job, at func(time.Time)) {
				at(now.Add(-time.Hour))
				recordRun(t, svc, job, "2026-10", ledger.RunFailed)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			catchUp := tt.catchUp
			if catchUp == "" {
				catchUp = "latest"
			}
			job := onlyJob(cfg, "monthly", "0 7 1 * *", catchUp)
			cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
			svc, err := OpenService(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			since := tt.since
			if since.IsZero() {
				since = time.Date(2026, 10, 1, 0, 0, 0, 0, amsterdam)
			}
			if _, err := svc.Ledger.ScheduleSince(context.Background(), job.Name, since); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			ledgerNow := now
			svc.Ledger.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return ledgerNow })
			tt.prepare(t, svc, job, func(at time.Time) { mu.Lock(); ledgerNow = at; mu.Unlock() })
			d := &Daemon{Service: svc, Clock: clockwork.NewFakeClockAt(now)}
			var got []string
			for _, jp := range d.retryPeriods(context.Background()) {
				got = append(got, jp.job.Name+" "+jp.period.Label())
			}
			var want []string
			if tt.want {
				want = []string{"monthly 2026-10"}
			}
			if !slices.Equal(got, want) {
				t.Errorf("retryPeriods = %v, want %v", got, want)
			}
		})
	}
}

// recordRun records a finished run of job's period label with status.
func recordRun(t *testing.T, svc *Service, job *config.Job, label string, status ledger.RunStatus) {
	t.Helper()
	ctx := context.Background()
	run, err := svc.Ledger.StartRun(ctx, job.Name, label, ledger.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	msg := ""
	if status == ledger.RunFailed {
		msg = "load csv source: orders.csv line 3"
	}
	if err := svc.Ledger.FinishRun(ctx, run.ID, status, msg, nil); err != nil {
		t.Fatal(err)
	}
}

// A period whose runs keep failing notifies the operators of its first failure, then
// at most once every 24 hours, also across a restart (the ledger is the record), and
// once when a run sends its report.
func TestFailureNoticesAtMostDaily(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.Operators = []string{"Beheer <it@voorbeeld.example>"}
	fix := breakOrders(t, cfg)
	t0 := time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam)
	var now time.Time
	notices := &noticeBox{}
	open := func() *Service {
		svc, err := OpenService(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc.Ledger.SetClock(func() time.Time { return now })
		useFakeSender(svc)
		svc.Sender = notices.sender()
		return svc
	}
	svc := open()
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	for i, after := range []time.Duration{0, time.Hour, 23 * time.Hour, 25 * time.Hour, 48 * time.Hour, 48*time.Hour + 30*time.Minute} {
		if i == 3 { // a restart
			svc.Close()
			svc = open()
		}
		now = t0.Add(after)
		if _, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerCatchUp, Send: true}); err == nil {
			t.Fatalf("run %d succeeded on bad data", i+1)
		}
	}
	fix()
	now = t0.Add(50 * time.Hour)
	if _, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerCatchUp, Send: true}); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	failed := "kpireport: run of monthly for 2026-10 failed"
	subjects, texts := notices.got()
	want := []string{failed, failed, "kpireport: monthly 2026-10 sent after 6 failed runs"}
	if !slices.Equal(subjects, want) {
		t.Fatalf("notices = %q, want %q (runs at 0h, 25h; then the recovery)", subjects, want)
	}
	if !strings.Contains(texts[1], "failed 4 runs in a row") {
		t.Errorf("the second notice does not count the failed runs:\n%s", texts[1])
	}
}
