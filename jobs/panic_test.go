package jobs

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/reports"
)

const operator = "it@voorbeeld.example"

// panicRender is a renderer that panics as fpdf did on an emoji, for the reports of
// the job named job; the others it renders.
func panicRender(job string) func(context.Context, *kpi.Report, reports.Options) ([]reports.File, error) {
	return func(ctx context.Context, rep *kpi.Report, opt reports.Options) ([]reports.File, error) {
		if rep.Job != job {
			return reports.Generate(ctx, rep, opt)
		}
		var cidMap []uint16
		r := 0x1F600         // 😀
		_ = cidMap[r-0xFFFF] // index out of range [62977] with length 0
		return nil, nil
	}
}

// mailText returns the subject and the plain text of the .eml file at path.
func mailText(t *testing.T, path string) (subject, text string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var walk func(ctype, cte string, body io.Reader)
	walk = func(ctype, cte string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(media, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				part, err := r.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			}
		}
		if media != "text/plain" || text != "" {
			return
		}
		if strings.EqualFold(cte, "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		text = string(b)
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return subject, text
}

// noTempFiles fails the test if dir holds a temporary file (a report half written).
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if strings.HasSuffix(path, ".tmp") || strings.Contains(d.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A renderer that panics fails the run, whatever triggered it: the run is recorded as
// failed with the panic's message, the operators get the failure notice, nothing is
// mailed to the recipients and no file is left; Run returns the error instead of
// panicking.
func TestRunRecordsPanicAsFailure(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.Operators = []string{operator}
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	svc.Runner.Render = panicRender("monthly")
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}

	res, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	const want = "render: panic: runtime error: index out of range [62977] with length 0"
	if err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %q", err, want)
	}
	if res == nil || len(res.Files) != 0 || res.Delivery != nil {
		t.Errorf("result = %+v, want no files and no delivery", res)
	}
	runs, err := svc.Ledger.PeriodRuns(context.Background(), "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != ledger.RunFailed || runs[0].Error != want {
		t.Fatalf("runs = %+v, want one failed with %q", runs, want)
	}
	if ds, _ := svc.Ledger.Deliveries(context.Background(), "monthly", "2026-10"); len(ds) != 0 {
		t.Errorf("deliveries = %+v, want none", ds)
	}
	outbox := svc.Sender.(*delivery.Outbox)
	subject, text := mailText(t, outbox.Path("monthly", "2026-10-failure", operator))
	if !strings.Contains(subject, "monthly") || !strings.Contains(text, "index out of range [62977]") || strings.Contains(text, "goroutine") {
		t.Errorf("notice %q:\n%s\nwant the panic's message and no stack", subject, text)
	}
	for _, rcpt := range []string{rcptDirectie, rcptFinance, rcptSales} {
		if _, err := os.Stat(outbox.Path("monthly", "2026-10", rcpt)); !os.IsNotExist(err) {
			t.Errorf("a report went to %s: %v", rcpt, err)
		}
	}
	noTempFiles(t, cfg.Report.OutputDir)
	if entries, _ := os.ReadDir(cfg.Report.OutputDir); len(entries) != 0 {
		t.Errorf("output folder holds %d files, want none", len(entries))
	}

	// A plain generate returns the panic as its error too.
	_, err = svc.Runner.Generate(context.Background(), job, p, GenerateOptions{})
	if err == nil || !strings.Contains(err.Error(), "render monthly") || !strings.Contains(err.Error(), "panic: runtime error") {
		t.Errorf("Generate = %v, want the panic as the render error", err)
	}
}

// Under the daemon a job whose renderer panics fails its runs, and is retried with
// the usual backoff (not in a loop), while the daemon goes on scheduling every other
// job; the operators get one notice.
func TestDaemonGoesOnAfterPanic(t *testing.T) {
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	weekly := cfg.Jobs[0]
	weekly.Name, weekly.Period, weekly.Schedule = "daily-week", "week", "30 7 * * *"
	cfg.Jobs = append(cfg.Jobs, weekly)
	cfg.Delivery.Operators = []string{operator}
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	h := startDaemon(t, cfg, time.Date(2026, 11, 1, 6, 55, 0, 0, amsterdam), func(d *Daemon) {
		d.Service.Ledger.SetClock(d.Clock.Now)
		d.Service.Runner.Render = panicRender("monthly")
		for _, job := range cfg.Jobs { // responsible from now on, before the clock moves
			if _, err := d.Service.Ledger.ScheduleSince(context.Background(), job.Name, d.Clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
	})
	h.advanceSettled(time.Date(2026, 11, 2, 7, 45, 0, 0, amsterdam), 10*time.Minute)
	runs := h.waitRuns(1)

	var monthly, week []ledger.Run
	for _, r := range runs {
		switch r.Job {
		case "monthly":
			monthly = append(monthly, r)
		case "daily-week":
			week = append(week, r)
		}
	}
	for _, r := range monthly {
		if r.Status != ledger.RunFailed || !strings.Contains(r.Error, "panic: runtime error: index out of range") {
			t.Errorf("monthly run %+v, want failed with the panic", r)
		}
	}
	// 07:00, then after 10m, 20m, 40m, ... at most 6h: about 9 runs in 25 hours.
	if len(monthly) < 3 || len(monthly) > 10 {
		t.Errorf("monthly ran %d times in 25 hours, want a few retries with backoff: %v", len(monthly), runTimes(runs))
	}
	for i := 2; i < len(monthly); i++ {
		prev, gap := monthly[i-1].StartedAt.Sub(monthly[i-2].StartedAt), monthly[i].StartedAt.Sub(monthly[i-1].StartedAt)
		if gap < prev {
			t.Errorf("retry %d came %v after the one before, which came %v after its own: want a growing wait", i, gap, prev)
		}
	}
	// The other job ran on both days, once for each week.
	var weeks []string
	for _, r := range week {
		if r.Status == ledger.RunSucceeded {
			weeks = append(weeks, r.Period)
		}
	}
	if strings.Join(weeks, " ") != "2026-W43 2026-W44" {
		t.Errorf("the other job's succeeded runs: %v (all %+v), want 2026-W43 and 2026-W44", weeks, week)
	}
	outbox := h.svc.Sender.(*delivery.Outbox)
	if _, text := mailText(t, outbox.Path("monthly", "2026-10-failure", operator)); !strings.Contains(text, "panic: runtime error") {
		t.Errorf("failure notice:\n%s\nwant the panic's message", text)
	}
	noTempFiles(t, cfg.Report.OutputDir)
}

// advanceSettled moves the fake clock to t in steps, and after each step lets the
// runs it started finish before the clock moves on, so that a run ends when it
// started.
func (h *daemonHarness) advanceSettled(t time.Time, step time.Duration) {
	h.t.Helper()
	for h.clock.Now().Before(t) {
		h.advanceTo(h.clock.Now().Add(min(step, t.Sub(h.clock.Now()))), step)
		time.Sleep(20 * time.Millisecond) // the tasks the step fired start their runs
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			running, err := h.svc.Ledger.Running(context.Background())
			if err != nil {
				h.t.Fatal(err)
			}
			if len(running) == 0 {
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("runs still running after 20s: %+v", running)
			}
		}
	}
}
