package delivery

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kpireport/kpireport/ledger"
)

func TestOutboxDelivers(t *testing.T) {
	const a, b, c = "a@example.com", "b@example.com", "hidden@example.com"
	dir := filepath.Join(t.TempDir(), "outbox")
	box := NewOutbox(dir)
	d, _, _ := testDeliverer(t, box)
	m := testMessage([]string{a}, []string{b}, []string{c})
	rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
	if err != nil || len(rep.Sent) != 3 {
		t.Fatalf("Deliver = %+v, %v", rep, err)
	}
	for _, rcpt := range []string{a, b, c} {
		t.Run(rcpt, func(t *testing.T) {
			path := box.Path(m.Job, m.Period, rcpt)
			if want := filepath.Join(dir, "monthly-2026-10-"+rcpt+".eml"); path != want {
				t.Errorf("Path = %s, want %s", path, want)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pm := parseMail(t, data)
			if _, ok := pm.Header["Bcc"]; ok || strings.Contains(string(data), c) {
				t.Errorf("the Bcc recipient shows in %s", path)
			}
			if got, want := pm.Header.Get("Message-Id"), MessageID(m.Job, m.Period, rcpt, "example.com"); got != want {
				t.Errorf("Message-ID %q, want %q", got, want)
			}
			if row := delivery(t, d.Ledger, m, rcpt); row.Status != ledger.DeliverySent {
				t.Errorf("ledger row %+v, want sent", row)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("outbox holds %d files, want 3 (no temp files left)", len(entries))
	}
}

func TestOutboxWritesWhatSMTPSends(t *testing.T) {
	dir := t.TempDir()
	att := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(att, []byte("%PDF-1.4 report"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{"Alice <a@example.com>"}, []string{"b@example.com"}, nil)
	m.ReplyTo = []string{"finance@example.com"}
	m.Attachments = []Attachment{{Path: att}}
	id := MessageID(m.Job, m.Period, "b@example.com", "example.com")

	box := NewOutbox(filepath.Join(dir, "out"))
	if _, err := box.Send(t.Context(), m, "b@example.com", id); err != nil {
		t.Fatal(err)
	}
	fromFile, err := os.ReadFile(box.Path(m.Job, m.Period, "b@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	s, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(t.Context(), m, "b@example.com", id); err != nil {
		t.Fatal(err)
	}
	fromWire := srv.Messages()[0].Data

	// Date and MIME boundaries differ per write; everything else is equal.
	file, wire := parseMail(t, fromFile), parseMail(t, fromWire)
	for _, h := range []string{"Date", "Content-Type"} {
		delete(file.Header, h)
		delete(wire.Header, h)
	}
	if diff := cmp.Diff(wire, file); diff != "" {
		t.Errorf("outbox file differs from what the SMTP server received (-wire +file):\n%s", diff)
	}
}

func TestOutboxRejects(t *testing.T) {
	tests := []struct {
		name    string
		job     string
		rcpt    string
		wantErr error
	}{
		{"injection in recipient", "monthly", `"a@x> ORCPT=x"@example.com`, ErrInvalidAddress},
		{"path in job", "../../etc", "a@example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			box := NewOutbox(dir)
			m := testMessage([]string{tt.rcpt}, nil, nil)
			m.Job = tt.job
			retry, err := box.Send(t.Context(), m, tt.rcpt, "<id@example.com>")
			if !errors.Is(err, tt.wantErr) || retry {
				t.Fatalf("Send = %v, %v; want %v, no retry", retry, err, tt.wantErr)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if tt.wantErr != nil && len(names) != 0 {
				t.Errorf("files written for a rejected message: %v", names)
			}
			if tt.wantErr == nil && !slices.Equal(names, []string{"___.._etc-2026-10-a@example.com.eml"}) {
				t.Errorf("outbox files = %v, want the job name sanitised", names)
			}
		})
	}
}

// The outbox keeps to max_attachment_mb as SMTP does: a report over it is a
// permanent failure, and no mail is written without it.
func TestOutboxMaxAttachment(t *testing.T) {
	dir := t.TempDir()
	att := filepath.Join(dir, "monthly-2026-10.pdf")
	if err := os.WriteFile(att, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{"a@example.com"}, nil, nil)
	m.Attachments = []Attachment{{Path: att}}
	for _, tt := range []struct {
		name    string
		limit   int64
		wantErr error
	}{
		{"over the limit", 2047, ErrAttachmentTooLarge},
		{"at the limit", 2048, nil},
		{"no limit", 0, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "outbox")
			box := NewOutbox(out, WithMaxAttachmentBytes(tt.limit))
			d, _, _ := testDeliverer(t, box)
			rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
			entries, _ := os.ReadDir(out)
			if tt.wantErr == nil {
				if err != nil || len(entries) != 1 {
					t.Errorf("Deliver = %+v, %v, %d files; want sent, 1 file", rep, err, len(entries))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || len(rep.Failed) != 1 || rep.Failed[0].Temporary || rep.Failed[0].Attempts != 1 {
				t.Errorf("Deliver = %+v, %v; want %v, failed permanently after 1 attempt", rep, err, tt.wantErr)
			}
			if len(entries) != 0 {
				t.Errorf("the outbox holds %d files, want none", len(entries))
			}
			if row := delivery(t, d.Ledger, m, "a@example.com"); row.Status != ledger.DeliveryFailedPerm {
				t.Errorf("ledger row %+v, want failed-permanent", row)
			}
		})
	}
}
