package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

// A "to date" report (AllowIncomplete on 3 December) says so everywhere, in both
// languages (tryout F6): the subject and the PDF header use the one catalogue text
// (label to_date), the PDF's intro sentence gives the covered days, the mail's
// body (heading and intro) gives the to-date range, and a KPI with a target is
// not "missed" in a month in progress but n/a with that reason.
func TestToDateSaysSoEverywhere(t *testing.T) {
	// The demo data runs to 10 December; the rows after the fake today (3 December)
	// are in the future and not the watermark.
	for _, tt := range []struct {
		lang, toDate, intro, mailIntro, status, missed, check string
	}{
		{"en", "to date: 1–3 December 2026", "The figures cover 1 December 2026 to 3 December 2026",
			"Sales revenue in December 2026 (to date: 1–3 December 2026) was", "n/a: period in progress", "missed",
			"watermark 3 December 2026, must reach 30 November 2026 10:00 CET (freshness = 72h); max_drop = 0.5"},
		{"nl", "tot nu toe: van 1 tot en met 3 december 2026", "De cijfers gaan over 1 december 2026 tot en met 3 december 2026",
			"De verkoopopbrengst in december 2026 (tot nu toe: van 1 tot en met 3 december 2026) was", "n.v.t.: periode loopt nog", "niet gehaald",
			"verkopen (min_orders = 1); watermerk 3 december 2026, moet tot 30 november 2026 10:00 CET reiken (freshness = 72h); max_drop = 0,5"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			cfg := testConfig(t)
			job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
			cfg.Report.Language, job.Language = tt.lang, tt.lang
			job.Targets = map[string]float64{"revenue": 1e9} // would be "missed" for the whole month
			now := time.Date(2026, 12, 3, 10, 0, 0, 0, amsterdam)
			svc, _, mails := gateService(t, cfg, &now)
			if _, err := svc.Run(context.Background(), job, mustPeriod(t, "2026-12"),
				RunOptions{Trigger: ledger.TriggerManual, Send: true, AllowIncomplete: true}); err != nil {
				t.Fatal(err)
			}
			sent := mails.take()
			if len(sent) == 0 {
				t.Fatal("nothing sent")
			}
			m := sent[0]
			if !strings.HasSuffix(m.subject, "("+tt.toDate+")") {
				t.Errorf("subject %q, want it to end in (%s)", m.subject, tt.toDate)
			}
			for _, body := range []struct{ name, text string }{{"text", m.text}, {"html", m.html}} {
				for _, want := range []string{tt.mailIntro, tt.status} {
					if !strings.Contains(body.text, want) {
						t.Errorf("mail %s body lacks %q:\n%s", body.name, want, body.text)
					}
				}
				if strings.Contains(body.text, "["+tt.missed+"]") || strings.Contains(body.text, ">"+tt.missed+"<") {
					t.Errorf("mail %s body calls the target %q in a month in progress", body.name, tt.missed)
				}
			}
			pages := pdfPages(t, m.pdf)
			first := strings.Join(strings.Fields(pages[0]), " ")
			for _, want := range []string{tt.toDate, tt.intro, tt.status} {
				if !strings.Contains(first, want) {
					t.Errorf("PDF page 1 lacks %q:\n%s", want, first)
				}
			}
			// The data check in the notes, in the report's locale (tryout F5).
			if all := strings.Join(strings.Fields(strings.Join(pages, " ")), " "); !strings.Contains(all, tt.check) {
				t.Errorf("PDF notes lack %q:\n%s", tt.check, all)
			}
			if strings.Contains(first, " "+tt.missed) {
				t.Errorf("PDF page 1 calls the target %q in a month in progress:\n%s", tt.missed, first)
			}
		})
	}
}
