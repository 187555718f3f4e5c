package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// TestBackfillSend runs `backfill --send` over three months through an SMTP server:
// every recipient gets one message per period, with that period in the subject and
// the period's reports attached byte for byte, including a period that an earlier
// backfill without --send only rendered. A second `backfill --send` sends nothing,
// and history lists every run and delivery.
func TestBackfillSend(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, nil)
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port, "", "")
	periods := []string{"2026-08", "2026-09", "2026-10"}

	mustRun(t, nil, "backfill", "--config", cfg, "--job", "monthly", "--from", "2026-08", "--to", "2026-08")
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("a backfill without --send sent %d messages", n)
	}
	res := mustRun(t, nil, "backfill", "--config", cfg, "--job", "monthly", "--from", "2026-08", "--to", "2026-10", "--send")
	for _, p := range periods {
		section := backfillSection(res.stdout, p)
		for _, rcpt := range demoRecipients {
			if !strings.Contains(section, "sent to "+rcpt+"\n") || strings.Contains(section, "already sent to "+rcpt) {
				t.Errorf("backfill --send: %s does not say it sent to %s:\n%s", p, rcpt, res)
			}
		}
	}

	reports := filepath.Join(filepath.Dir(cfg), "reports")
	ids := map[string]bool{}
	for _, rcpt := range demoRecipients {
		msgs := srv.MessagesTo(rcpt)
		if len(msgs) != len(periods) {
			var got []string
			for _, m := range msgs {
				subject, _ := readReportMail(t, m.Data)
				got = append(got, subject+" "+m.MessageID(t))
			}
			t.Errorf("%s got %d messages, want one per period (%d):\n%s\nbackfill said:\n%s",
				rcpt, len(msgs), len(periods), strings.Join(got, "\n"), res)
			continue
		}
		for i, m := range msgs {
			p := periods[i] // oldest first
			subject, files := readReportMail(t, m.Data)
			per, err := period.Parse(p)
			if err != nil {
				t.Fatal(err)
			}
			if name := locale.New("en", "EUR").Period(per); !strings.Contains(subject, name) { // the demo reports in English
				t.Errorf("%s, message %d: subject %q does not name %s (%s)", rcpt, i+1, subject, name, p)
			}
			for _, ext := range []string{".xlsx", ".pdf"} {
				name := "monthly-" + p + ext
				want, err := os.ReadFile(filepath.Join(reports, name))
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := files[name]; !ok || !bytes.Equal(got, want) {
					t.Errorf("%s, %s: attachment %s is missing or differs from the generated file (%d bytes, want %d)",
						rcpt, p, name, len(got), len(want))
				}
			}
			if len(files) != 2 {
				t.Errorf("%s, %s: %d attachments, want 2", rcpt, p, len(files))
			}
			id := m.MessageID(t)
			if ids[id] {
				t.Errorf("Message-ID %s is used twice", id)
			}
			ids[id] = true
		}
	}

	// Again: every recipient has every period; nothing goes out.
	res = mustRun(t, nil, "backfill", "--config", cfg, "--job", "monthly", "--from", "2026-08", "--to", "2026-10", "--send")
	for _, p := range periods {
		section := backfillSection(res.stdout, p)
		for _, rcpt := range demoRecipients {
			if !strings.Contains(section, "already sent to "+rcpt) {
				t.Errorf("second backfill --send: %s does not say %s already has it:\n%s", p, rcpt, res)
			}
		}
	}
	if n := len(srv.Messages()); n != len(periods)*len(demoRecipients) {
		t.Errorf("after a second backfill --send the server holds %d messages, want still %d", n, len(periods)*len(demoRecipients))
	}

	hist := historyOf(t, nil, cfg, "--job", "monthly")
	if len(hist.Runs) != 1+2*len(periods) {
		t.Errorf("history: %d runs, want %d (a render, two backfills of %d periods): %+v", len(hist.Runs), 1+2*len(periods), len(periods), hist.Runs)
	}
	for _, r := range hist.Runs {
		if r.Trigger != "manual" || r.Status != "succeeded" {
			t.Errorf("history: want a succeeded manual run: %s", r.Line)
		}
	}
	if len(hist.Deliveries) != len(periods)*len(demoRecipients) {
		t.Errorf("history: %d deliveries, want %d", len(hist.Deliveries), len(periods)*len(demoRecipients))
	}
	for _, d := range hist.Deliveries {
		if d.Status != "sent" || d.Attempts != 1 {
			t.Errorf("history: want sent after 1 attempt: %s", d.Line)
		}
	}
}

// backfillSection returns what backfill printed for period p: the lines after its
// "p:" line, up to the next period's.
func backfillSection(out, p string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(out, "\n") {
		if isPeriodHeader(line) {
			in = line == p+":\n"
			continue
		}
		if in {
			b.WriteString(line)
		}
	}
	return b.String()
}

// isPeriodHeader reports whether line is backfill's "2026-08:" before a period.
func isPeriodHeader(line string) bool {
	label, ok := strings.CutSuffix(line, ":\n")
	return ok && len(label) == len("2026-08") && !strings.ContainsAny(label, " /")
}

// readReportMail returns the decoded subject of a report mail and its attachments,
// file name → bytes.
func readReportMail(t *testing.T, data []byte) (string, map[string][]byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var walk func(ctype string, body io.Reader)
	walk = func(ctype string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ctype)
		if err != nil || !strings.HasPrefix(media, "multipart/") {
			return
		}
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name := part.FileName(); name != "" {
				var content io.Reader = part
				if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
					content = base64.NewDecoder(base64.StdEncoding, part)
				}
				b, err := io.ReadAll(content)
				if err != nil {
					t.Fatal(err)
				}
				files[name] = b
				continue
			}
			walk(part.Header.Get("Content-Type"), part)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return subject, files
}
