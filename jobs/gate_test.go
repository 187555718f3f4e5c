package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// mailLog records the report mails a fakeSender passes on to the outbox.
type mailLog struct {
	mu    sync.Mutex
	mails []sentMail
}

type sentMail struct {
	rcpt, subject, period string
	text, html            string
	pdf                   []byte
}

func (l *mailLog) record(_ context.Context, m *delivery.Message, rcpt, _ string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := sentMail{rcpt: rcpt, subject: m.Subject, period: m.Period, text: m.Text, html: m.HTML}
	for _, a := range m.Attachments {
		if a.ContentType == contentTypes["pdf"] {
			s.pdf = a.Data
			if s.pdf == nil {
				s.pdf, _ = os.ReadFile(a.Path)
			}
		}
	}
	l.mails = append(l.mails, s)
	return false, errPassOn
}

func (l *mailLog) take() []sentMail {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.mails
	l.mails = nil
	return out
}

// pdfPages returns the text of each page of a PDF, with pdftotext.
func pdfPages(t *testing.T, pdf []byte) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is not installed (Debian package poppler-utils), and CI=true")
		}
		t.Skip("skipped: pdftotext is not installed; apt-get install poppler-utils to run this test")
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

// gateService opens the service of cfg with the runner's and the ledger's clock
// at *now, and a fakeSender that records each report mail before the outbox.
func gateService(t *testing.T, cfg *config.Config, now *time.Time) (*Service, *fakeSender, *mailLog) {
	t.Helper()
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	clock := func() time.Time { return *now }
	svc.Runner.Now = clock
	svc.Ledger.SetClock(clock)
	sender := useFakeSender(svc)
	mails := &mailLog{}
	sender.setSend(mails.record)
	return svc, sender, mails
}

func mustPeriod(t *testing.T, label string) period.Period {
	t.Helper()
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A month that has not ended is refused unless AllowIncomplete, one that has not
// started always. Sent with AllowIncomplete on 3 December, the report says "to
// date" on every PDF page and in the subject, and it does not make December done:
// the scheduled run on 1 January mails the complete month to every recipient.
func TestIncompletePeriod(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	noGate(cfg) // the demo data ends on 10 December: January's run checks no freshness
	job.Formats = []string{"xlsx", "pdf"}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, amsterdam)
	svc, _, mails := gateService(t, cfg, &now)
	ctx := context.Background()
	dec := mustPeriod(t, "2026-12")

	_, err := svc.Run(ctx, job, dec, RunOptions{Trigger: ledger.TriggerManual, Send: true})
	var pe *PeriodError
	if !errors.Is(err, ErrIncomplete) || !errors.As(err, &pe) ||
		err.Error() != "period 2026-12 has not ended (it ends 2027-01-01 00:00 Europe/Amsterdam); use --allow-incomplete for a report to date" {
		t.Fatalf("run of December on 3 December: %v, want ErrIncomplete", err)
	}
	_, err = svc.Run(ctx, job, mustPeriod(t, "2030-01"), RunOptions{Trigger: ledger.TriggerManual, Send: true, AllowIncomplete: true})
	if !errors.Is(err, ErrFuture) {
		t.Fatalf("run of 2030-01: %v, want ErrFuture even with AllowIncomplete", err)
	}
	if runs, _ := svc.Ledger.Runs(ctx, "", 0); len(runs) != 0 {
		t.Fatalf("refused runs are in the ledger: %+v", runs)
	}

	res, err := svc.Run(ctx, job, dec, RunOptions{Trigger: ledger.TriggerManual, Send: true, AllowIncomplete: true})
	if err != nil {
		t.Fatal(err)
	}
	// The workbook's Summary says so in its title rows, and gives the gate's data.
	wb, err := excelize.OpenFile(res.Files[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	title, _ := wb.GetCellValue(wb.GetSheetName(0), "A3")
	note, _ := wb.GetCellValue(wb.GetSheetName(0), "A4")
	wb.Close()
	if !strings.HasPrefix(title, "to date: 1–3 December 2026") || !strings.Contains(note, "watermark 3 December 2026") {
		// The demo data runs to 10 December; the rows after today (3 December) are
		// in the future and not the watermark.
		t.Errorf("workbook Summary A3 = %q, A4 = %q; want to date and the watermark", title, note)
	}
	toDate := mails.take()
	if len(toDate) != 3 {
		t.Fatalf("to-date mails = %d, want 3", len(toDate))
	}
	for _, m := range toDate {
		if !strings.HasSuffix(m.subject, "(to date: 1–3 December 2026)") {
			t.Errorf("%s: subject %q does not say to date", m.rcpt, m.subject)
		}
	}
	pages := pdfPages(t, toDate[0].pdf)
	if len(pages) < 2 {
		t.Fatalf("the PDF has %d pages, want several", len(pages))
	}
	for i, page := range pages {
		if !strings.Contains(page, "to date: 1–3 December 2026") {
			t.Errorf("PDF page %d does not say to date:\n%s", i+1, page)
		}
	}
	runs, err := svc.Ledger.PeriodRuns(ctx, job.Name, dec.Label())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != ledger.RunSucceeded || !runs[0].Incomplete {
		t.Fatalf("runs = %+v, want one succeeded run flagged incomplete", runs)
	}
	if _, done, err := svc.done(ctx, job, dec, true); err != nil || done {
		t.Fatalf("done after the to-date send = %v, %v; want not done", done, err)
	}

	now = time.Date(2027, 1, 1, 7, 0, 0, 0, amsterdam)
	res, err = svc.Run(ctx, job, dec, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped {
		t.Fatal("the scheduled run on 1 January skipped December")
	}
	complete := mails.take()
	var got []string
	for _, m := range complete {
		got = append(got, m.rcpt)
		if strings.Contains(m.subject, "to date") {
			t.Errorf("%s: the complete report's subject %q says to date", m.rcpt, m.subject)
		}
		for i, page := range pdfPages(t, m.pdf) {
			if strings.Contains(page, "to date") {
				t.Errorf("%s: page %d of the complete report says to date", m.rcpt, i+1)
			}
		}
	}
	slices.Sort(got)
	if want := []string{rcptDirectie, rcptFinance, rcptSales}; !slices.Equal(got, want) {
		t.Errorf("complete report sent to %v, want %v", got, want)
	}
	if _, done, err := svc.done(ctx, job, dec, true); err != nil || !done {
		t.Errorf("done after the scheduled run = %v, %v; want done", done, err)
	}
}

// writeHeaderOnly replaces orders.csv by its header line and returns the function
// that puts the full file back.
func writeHeaderOnly(t *testing.T, cfg *config.Config) (restore func()) {
	t.Helper()
	path := filepath.Join(cfg.Source.Dir, "orders.csv")
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(full), "\n")
	if err := os.WriteFile(path, []byte(header+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.WriteFile(path, full, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A header-only orders.csv: the scheduled run renders October but holds it (no
// mail, one operator notice, the run held with its reason); the daemon's resume
// checks again with backoff and, once the orders are back, sends it to everyone.
func TestHeldUntilDataArrives(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 1, h, m, 0, 0, amsterdam) }
	cfg := testConfig(t)
	onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	cfg.Delivery.ResumeInterval = config.Duration{Duration: 10 * time.Minute}
	cfg.Delivery.Operators = []string{"Beheer <it@voorbeeld.example>"}
	restore := writeHeaderOnly(t, cfg)
	var sender *fakeSender
	notices := &noticeBox{}
	h := startDaemon(t, cfg, day(6, 55), func(d *Daemon) {
		d.Service.Ledger.SetClock(d.Clock.Now)
		sender = useFakeSender(d.Service)
		d.Service.Sender = notices.sender()
	})
	h.advanceTo(day(7, 0), time.Minute)
	runs := h.waitRuns(1)
	if runs[0].Status != ledger.RunHeld || !strings.Contains(runs[0].Error, "0 orders in the period, fewer than min_orders = 1") {
		t.Fatalf("runs = %+v, want the scheduled run held for min_orders", runs)
	}
	if len(runs[0].Artifacts) == 0 {
		t.Error("the held run rendered no files")
	}
	h.advanceTo(day(7, 15), time.Minute)
	if runs := h.waitRuns(2); runs[1].Status != ledger.RunHeld || runs[1].Trigger != ledger.TriggerCatchUp {
		t.Fatalf("runs = %+v, want the resume's run held too", runs)
	}
	if got := sender.delivered(); len(got) != 0 {
		t.Fatalf("mails sent while held: %v", got)
	}
	subjects, texts := notices.got()
	if want := []string{"kpireport: monthly 2026-10 held: data incomplete"}; !slices.Equal(subjects, want) {
		t.Fatalf("notices = %q, want one held notice %q", subjects, want)
	}
	for _, s := range []string{"NOT sent", "fewer than min_orders = 1", "--send --force"} {
		if !strings.Contains(texts[0], s) {
			t.Errorf("the held notice lacks %q:\n%s", s, texts[0])
		}
	}
	restore()
	h.advanceTo(day(7, 35), time.Minute)
	runs = h.waitRuns(3)
	if runs[2].Status != ledger.RunSucceeded {
		t.Fatalf("runs = %+v, want the third run to send", runs)
	}
	if got := sender.delivered(); len(got) != 3 || got[rcptDirectie] != 1 || got[rcptFinance] != 1 || got[rcptSales] != 1 {
		t.Errorf("mails sent = %v, want one to each recipient", got)
	}
	if subjects, _ := notices.got(); len(subjects) != 2 || !strings.Contains(subjects[1], "sent after") {
		t.Errorf("notices = %q, want the held notice and the one that it was sent", subjects)
	}
}

// --force sends a held report, and the run is recorded as forced.
func TestForceSendsHeldReport(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	writeHeaderOnly(t, cfg)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, amsterdam)
	svc, _, mails := gateService(t, cfg, &now)
	ctx := context.Background()
	oct := mustPeriod(t, "2026-10")
	res, err := svc.Run(ctx, job, oct, RunOptions{Trigger: ledger.TriggerManual, Send: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Held) != 1 || res.Delivery != nil || len(mails.take()) != 0 {
		t.Fatalf("held = %q, delivery %+v; want held and nothing sent", res.Held, res.Delivery)
	}
	res, err = svc.Run(ctx, job, oct, RunOptions{Trigger: ledger.TriggerManual, Send: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Held) != 0 || len(mails.take()) != 3 {
		t.Fatalf("forced run: held %q, want sent to the 3 recipients", res.Held)
	}
	runs, err := svc.Ledger.PeriodRuns(ctx, job.Name, oct.Label())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s forced=%v", r.Status, r.Forced))
	}
	if want := []string{"succeeded forced=true", "held forced=false"}; !slices.Equal(got, want) {
		t.Errorf("runs = %v, want %v", got, want)
	}
}

// A job's [jobs.quality] overrides [quality]: with max_drop off for the job, a
// month with a tenth of its usual orders is sent; with the default it is held.
func TestQualityPerJob(t *testing.T) {
	for _, tt := range []struct {
		name     string
		maxDrop  *float64
		wantHeld bool
	}{
		{"default max_drop", nil, true},
		{"job max_drop 1", ptr(1.0), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
			job.Quality.MaxDrop = tt.maxDrop
			keepOrders(t, cfg, func(line string) bool {
				// October keeps every tenth order; other months all.
				return !strings.Contains(line, ",2026-10-") || len(line)%10 == 0
			})
			now := time.Date(2026, 11, 2, 9, 0, 0, 0, amsterdam)
			svc, _, mails := gateService(t, cfg, &now)
			res, err := svc.Run(context.Background(), job, mustPeriod(t, "2026-10"), RunOptions{Trigger: ledger.TriggerManual, Send: true})
			if err != nil {
				t.Fatal(err)
			}
			sent := len(mails.take())
			if held := len(res.Held) > 0; held != tt.wantHeld || (held && !strings.Contains(res.Held[0], "max_drop = 0.5")) || (!held && sent != 3) {
				t.Errorf("held = %q, sent %d; want held %v", res.Held, sent, tt.wantHeld)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// keepOrders rewrites orders.csv with the header and the lines keep accepts.
func keepOrders(t *testing.T, cfg *config.Config, keep func(line string) bool) {
	t.Helper()
	path := filepath.Join(cfg.Source.Dir, "orders.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	out := lines[0]
	for _, l := range lines[1:] {
		if keep(l) {
			out += l
		}
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}
