package jobs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/ledger"
)

// lockedBuffer is a bytes.Buffer safe for the daemon's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A period held by a manual generate --send, before the daemon became
// responsible for the job (its firing on 1 November was before the daemon
// started), is checked again by the daemon's periodic resume with the failed-run
// backoff, whatever the job's catch_up, and sent to everyone once the data
// passes (F9). The log and the operators' notice call the runs held, not failed
// (F10).
func TestDaemonRechecksManuallyHeldPeriod(t *testing.T) {
	for _, mode := range []string{"latest", "none"} {
		t.Run(mode, func(t *testing.T) {
			at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, amsterdam) }
			cfg := testConfig(t)
			job := onlyJob(cfg, "monthly", "0 7 1 * *", mode)
			cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
			cfg.Delivery.Operators = []string{"Beheer <it@voorbeeld.example>"}
			restore := writeHeaderOnly(t, cfg)
			var sender *fakeSender
			notices := &noticeBox{}
			logs := &lockedBuffer{}
			h := startDaemon(t, cfg, at(9, 0), func(d *Daemon) { // resumes at 09:10, 09:20, ...
				d.Service.Ledger.SetClock(d.Clock.Now)
				d.Service.Runner.Logger = slogText(logs)
				sender = useFakeSender(d.Service)
				d.Service.Sender = notices.sender()
				// generate --config … --period 2026-10 --send, by hand, before the daemon runs.
				res, err := d.Service.Run(context.Background(), job, mustPeriod(t, "2026-10"),
					RunOptions{Trigger: ledger.TriggerManual, Send: true})
				if err != nil || len(res.Held) == 0 {
					t.Fatalf("manual run: held %v, err %v; want it held", res, err)
				}
			})
			h.advanceTo(at(9, 10), time.Minute)
			runs := h.waitRuns(2)
			if len(runs) != 2 || runs[1].Status != ledger.RunHeld || runs[1].Trigger != ledger.TriggerCatchUp {
				t.Fatalf("runs = %+v, want the manual held run checked again at the 09:10 resume (held again)", runs)
			}
			restore()
			h.advanceTo(at(9, 20), time.Minute) // the wait after 2 held runs is 20 minutes: not yet
			if runs := h.waitRuns(3); len(runs) != 2 {
				t.Fatalf("runs = %+v, want no run before the backoff (09:30)", runs)
			}
			h.advanceTo(at(9, 30), time.Minute)
			runs = h.waitRuns(3)
			if len(runs) != 3 || runs[2].Status != ledger.RunSucceeded {
				t.Fatalf("runs = %+v, want the 09:30 resume to send", runs)
			}
			h.advanceTo(at(10, 0), 5*time.Minute)
			if runs := h.waitRuns(4); len(runs) != 3 {
				t.Fatalf("runs = %+v, want no run after the period was sent", runs)
			}
			if got := sender.delivered(); len(got) != 3 || got[rcptDirectie] != 1 || got[rcptFinance] != 1 || got[rcptSales] != 1 {
				t.Errorf("mails sent = %v, want one to each recipient", got)
			}
			eml, _ := filepath.Glob(filepath.Join(cfg.Delivery.OutboxDir, "*2026-10*.eml"))
			if len(eml) != 3 {
				t.Errorf("outbox holds %q, want the 3 reports of 2026-10", eml)
			}
			for _, f := range eml {
				if b, err := os.ReadFile(f); err != nil || !bytes.Contains(b, []byte("oktober 2026")) && !bytes.Contains(b, []byte("October 2026")) {
					t.Errorf("%s: %v, not the October report", f, err)
				}
			}
			subjects, texts := notices.got()
			want := []string{"kpireport: monthly 2026-10 held: data incomplete", "kpireport: monthly 2026-10 sent after 2 held runs"}
			if !slices.Equal(subjects, want) {
				t.Fatalf("notices = %q, want %q", subjects, want)
			}
			if !strings.Contains(texts[1], "after 2 held runs") || strings.Contains(texts[1], "failed") {
				t.Errorf("the recovery notice does not call the runs held:\n%s", texts[1])
			}
			log := logs.String()
			if !strings.Contains(log, `msg="re-check held run" job=monthly period=2026-10 failed_runs=0 held_runs=2`) ||
				strings.Contains(log, "retry failed run") {
				t.Errorf("the daemon log does not call the runs held:\n%s", log)
			}
		})
	}
}

// streakText names a streak of runs as they ended.
func TestStreakText(t *testing.T) {
	f, h := ledger.Run{Status: ledger.RunFailed}, ledger.Run{Status: ledger.RunHeld}
	for _, tt := range []struct {
		streak []ledger.Run
		want   string
	}{
		{[]ledger.Run{f}, "1 failed run"},
		{[]ledger.Run{f, f}, "2 failed runs"},
		{[]ledger.Run{h, h}, "2 held runs"},
		{[]ledger.Run{h, f}, "1 failed run and 1 held run"},
		{[]ledger.Run{h, f, h}, "1 failed run and 2 held runs"},
	} {
		if got := streakText(tt.streak); got != tt.want {
			t.Errorf("streakText(%v) = %q, want %q", tt.streak, got, tt.want)
		}
	}
}
