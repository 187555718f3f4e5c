package delivery

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kpireport/kpireport/ledger"
)

func TestDeliverRetries(t *testing.T) {
	const rcpt = "ceo@example.com"
	tests := []struct {
		name         string
		script       []step
		timeout      time.Duration // per attempt; 0 = server default
		wantStatus   ledger.DeliveryStatus
		wantAttempts int
		wantMessages int
		wantWaits    []time.Duration
	}{
		{"accepted", nil, 0, ledger.DeliverySent, 1, 1, nil},
		{"451 twice then ok", []step{tempFail, tempFail}, 0, ledger.DeliverySent, 3, 1, []time.Duration{time.Second, 2 * time.Second}},
		{"421 then ok", []step{busy}, 0, ledger.DeliverySent, 2, 1, []time.Duration{time.Second}},
		{"550 is permanent", []step{permFail}, 0, ledger.DeliveryFailedPerm, 1, 0, nil},
		{"dropped connection then ok", []step{dropConn}, 0, ledger.DeliverySent, 2, 1, []time.Duration{time.Second}},
		{"stall beyond timeout then ok", []step{stall(10 * time.Second)}, 300 * time.Millisecond, ledger.DeliverySent, 2, 1, []time.Duration{time.Second}},
		{"connection lost after DATA accepted", []step{lostAfter}, 0, ledger.DeliverySent, 1, 1, nil},
		{"451 until retries run out", []step{tempFail, tempFail, tempFail, tempFail, tempFail}, 0, ledger.DeliveryFailedTemp, 4,
			0, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			srv.script(rcpt, tt.script...)
			cfg := srv.config()
			if tt.timeout > 0 {
				cfg.Timeout = tt.timeout
			}
			sender, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			d, clock, _ := testDeliverer(t, sender)
			m := testMessage([]string{rcpt}, nil, nil)

			rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)

			row := delivery(t, d.Ledger, m, rcpt)
			if row.Status != tt.wantStatus || row.Attempts != tt.wantAttempts {
				t.Errorf("ledger: status %s, attempts %d; want %s, %d (last error %q)",
					row.Status, row.Attempts, tt.wantStatus, tt.wantAttempts, row.LastError)
			}
			if got := len(srv.MessagesTo(rcpt)); got != tt.wantMessages {
				t.Errorf("server accepted %d messages for %s, want %d", got, rcpt, tt.wantMessages)
			}
			if got := srv.RcptCount(rcpt); got != tt.wantAttempts {
				t.Errorf("server saw %d RCPT for %s, want one per attempt (%d)", got, rcpt, tt.wantAttempts)
			}
			if diff := cmp.Diff(tt.wantWaits, clock.Waits()); diff != "" {
				t.Errorf("backoff waits (-want +got):\n%s", diff)
			}
			if tt.wantStatus == ledger.DeliverySent {
				if err != nil || !slices.Equal(rep.Sent, []string{rcpt}) {
					t.Errorf("Deliver = %+v, %v; want sent to %s", rep, err, rcpt)
				}
				if row.SentAt.IsZero() || row.LastError != "" {
					t.Errorf("sent row %+v: want sent_at set and no last error", row)
				}
				return
			}
			if !errors.Is(err, ErrUndelivered) {
				t.Errorf("Deliver error = %v, want ErrUndelivered", err)
			}
			if len(rep.Failed) != 1 || rep.Failed[0].Recipient != rcpt || rep.Failed[0].Attempts != tt.wantAttempts ||
				rep.Failed[0].Temporary != (tt.wantStatus == ledger.DeliveryFailedTemp) {
				t.Errorf("Report.Failed = %+v", rep.Failed)
			}
			if row.LastError == "" {
				t.Errorf("failed row has no last error")
			}
		})
	}
}

func TestDeliverSkipsSentAndResends(t *testing.T) {
	const a, b, c = "a@example.com", "b@example.com", "c@example.com"
	srv := startServer(t)
	srv.script(b, permFail)
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeliverer(t, sender)
	m := testMessage([]string{a}, []string{b}, []string{c})

	calls := []struct {
		name        string
		resend      bool
		wantSent    []string
		wantSkipped []string
		wantFailed  []string
		wantRcpts   map[string]int // RCPT commands the server has seen in total
	}{
		{"first run: b refused", false, []string{a, c}, nil, []string{b}, map[string]int{a: 1, b: 1, c: 1}},
		{"second run: only b again", false, []string{b}, []string{a, c}, nil, map[string]int{a: 1, b: 2, c: 1}},
		{"third run: nothing left", false, nil, []string{a, b, c}, nil, map[string]int{a: 1, b: 2, c: 1}},
		{"resend: everyone again", true, []string{a, b, c}, nil, nil, map[string]int{a: 2, b: 3, c: 2}},
	}
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, call.resend)
			if (err != nil) != (len(call.wantFailed) > 0) {
				t.Errorf("Deliver error = %v", err)
			}
			var failed []string
			for _, f := range rep.Failed {
				failed = append(failed, f.Recipient)
			}
			got := []any{rep.Sent, rep.Skipped, failed}
			want := []any{call.wantSent, call.wantSkipped, call.wantFailed}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sent, skipped, failed (-want +got):\n%s", diff)
			}
			for rcpt, n := range call.wantRcpts {
				if got := srv.RcptCount(rcpt); got != n {
					t.Errorf("server saw %d RCPT for %s, want %d", got, rcpt, n)
				}
			}
		})
	}
	if row := delivery(t, d.Ledger, m, b); row.Attempts != 3 || row.Status != ledger.DeliverySent {
		t.Errorf("b after all runs: %+v, want sent after 3 attempts", row)
	}
}

func TestDeliverEachRecipientOwnTransaction(t *testing.T) {
	const a, b, c = "a@example.com", "b@example.com", "hidden@example.com"
	srv := startServer(t)
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeliverer(t, sender)
	m := testMessage([]string{"Alice <" + a + ">"}, []string{b}, []string{c})
	if _, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false); err != nil {
		t.Fatal(err)
	}

	msgs := srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("server accepted %d messages, want 3", len(msgs))
	}
	ids := map[string]bool{}
	for _, got := range msgs {
		if len(got.Rcpts) != 1 {
			t.Errorf("transaction with RCPTs %v, want exactly one", got.Rcpts)
			continue
		}
		rcpt := got.Rcpts[0]
		t.Run(rcpt, func(t *testing.T) {
			if got.From != "reports@example.com" {
				t.Errorf("MAIL FROM %q, want reports@example.com", got.From)
			}
			pm := parseMail(t, got.Data)
			if _, ok := pm.Header["Bcc"]; ok {
				t.Errorf("DATA has a Bcc header: %q", pm.Header["Bcc"])
			}
			if bytes.Contains(bytes.ToLower(got.Data), []byte(c)) {
				// not even its own copy: a Bcc recipient is named in the envelope only
				t.Errorf("the Bcc address appears in DATA")
			}
			to, _ := pm.Header.AddressList("To")
			cc, _ := pm.Header.AddressList("Cc")
			if len(to) != 1 || to[0].Address != a || to[0].Name != "Alice" || len(cc) != 1 || cc[0].Address != b {
				t.Errorf("To %v, Cc %v; want Alice <%s> and %s", to, cc, a, b)
			}
			wantID := MessageID(m.Job, m.Period, rcpt, "example.com")
			if got := pm.Header.Get("Message-Id"); got != wantID {
				t.Errorf("Message-ID %q, want %q", got, wantID)
			}
			ids[wantID] = true
			if got := pm.Header.Get("Auto-Submitted"); got != "auto-generated" {
				t.Errorf("Auto-Submitted %q", got)
			}
		})
	}
	if len(ids) != 3 {
		t.Errorf("Message-IDs not distinct per recipient: %v", ids)
	}
	if row := delivery(t, d.Ledger, m, c); row.Kind != ledger.KindBcc || row.Status != ledger.DeliverySent {
		t.Errorf("Bcc row %+v", row)
	}
}

func TestDeliverPendingResumesAfterReopen(t *testing.T) {
	const a, b = "a@example.com", "b@example.com"
	ctx := t.Context()
	srv := startServer(t)
	srv.script(b, tempFail, tempFail) // the first run gives up on b after one retry
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/ledger.db"
	l, err := ledger.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{a, b}, nil, nil)
	d := &Deliverer{Sender: sender, Ledger: l, Policy: Policy{Retries: 1, Backoff: time.Millisecond}, Clock: newFakeClock()}
	rep, err := d.Deliver(ctx, startRun(t, l, m), m, false)
	if !errors.Is(err, ErrUndelivered) || len(rep.Failed) != 1 || !rep.Failed[0].Temporary {
		t.Fatalf("first Deliver = %+v, %v; want b failed temporarily", rep, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart: a new process opens the ledger and asks what is left.
	l2 := openLedger(t, path)
	pending, err := l2.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Recipient != b || pending[0].Status != ledger.DeliveryFailedTemp {
		t.Fatalf("Pending = %+v, want b failed-temporary", pending)
	}
	d.Ledger = l2
	rep, err = d.Deliver(ctx, startRun(t, l2, m), m, false)
	if err != nil || !slices.Equal(rep.Sent, []string{b}) || !slices.Equal(rep.Skipped, []string{a}) {
		t.Fatalf("resumed Deliver = %+v, %v; want b sent, a skipped", rep, err)
	}
	if pending, _ := l2.Pending(ctx); len(pending) != 0 {
		t.Errorf("Pending after resume = %+v, want none", pending)
	}
	if row := delivery(t, l2, m, b); row.Attempts != 3 {
		t.Errorf("b attempts = %d, want 3 over both runs", row.Attempts)
	}
	if n := len(srv.MessagesTo(a)); n != 1 {
		t.Errorf("a got %d messages, want 1", n)
	}
}

func TestDeliverStopsWhenContextEnds(t *testing.T) {
	const a, b = "a@example.com", "b@example.com"
	srv := startServer(t)
	srv.script(a, tempFail)
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	d, clock, _ := testDeliverer(t, sender)
	ctx, cancel := context.WithCancel(t.Context())
	clock.onAfter = func(time.Duration) <-chan time.Time {
		cancel() // shut down while waiting to retry
		return nil
	}
	m := testMessage([]string{a, b}, nil, nil)
	rep, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, false)
	if !errors.Is(err, ErrUndelivered) {
		t.Fatalf("Deliver error = %v, want ErrUndelivered", err)
	}
	if !slices.Equal(rep.Sent, []string{b}) || len(rep.Failed) != 1 || !rep.Failed[0].Temporary {
		t.Errorf("Report = %+v, want b sent and a failed temporarily", rep)
	}
	row := delivery(t, d.Ledger, m, a)
	if row.Status != ledger.DeliveryFailedTemp || row.Attempts != 1 {
		t.Errorf("a in ledger = %+v, want failed-temporary after 1 attempt", row)
	}
}

func TestDeliverRejectsInvalidMessage(t *testing.T) {
	tests := []struct {
		name   string
		modify func(m *Message)
	}{
		{"no recipients", func(m *Message) { m.To = nil }},
		{"no job", func(m *Message) { m.Job = "" }},
		{"bad from", func(m *Message) { m.From = "reports" }},
		{"no body", func(m *Message) { m.Text, m.HTML = "", "" }},
		{"missing attachment", func(m *Message) { m.Attachments = []Attachment{{Path: "/nonexistent/report.pdf"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			sender, err := NewSMTPSender(srv.config())
			if err != nil {
				t.Fatal(err)
			}
			d, _, _ := testDeliverer(t, sender)
			m := testMessage([]string{"a@example.com"}, nil, nil)
			run := startRun(t, d.Ledger, m)
			tt.modify(m)
			if _, err := d.Deliver(t.Context(), run, m, false); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Deliver error = %v, want ErrInvalidMessage", err)
			}
			if cmds := srv.Commands(); len(cmds) != 0 {
				t.Errorf("server saw %v, want nothing", cmds)
			}
		})
	}
}

func TestPolicyWait(t *testing.T) {
	p := Policy{Backoff: time.Second, MaxBackoff: 5 * time.Second, Jitter: -1}.withDefaults()
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, p.wait(n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits without jitter (-want +got):\n%s", diff)
	}
	p = Policy{}.withDefaults()
	if p.Retries != DefaultRetries || p.Backoff != DefaultBackoff || p.MaxBackoff != DefaultMaxBackoff || p.Jitter != DefaultJitter {
		t.Errorf("defaults = %+v", p)
	}
	for range 100 {
		if w := p.wait(1); w < 24*time.Second || w > 36*time.Second {
			t.Fatalf("wait(1) = %v, want 30s ± 20%%", w)
		}
	}
	if p := (Policy{Retries: -1}).withDefaults(); p.Retries != 0 {
		t.Errorf("Retries -1 gives %d retries, want 0", p.Retries)
	}
}

// A resend carries a Message-ID of its own, so that receivers that drop repeats of
// a Message-ID keep it; the first mail's stays as it was, every attempt at one
// resend shares one, and the next resend gets a new one.
func TestDeliverResendMessageIDs(t *testing.T) {
	const rcpt = "ceo@example.com"
	ctx := t.Context()
	srv := startServer(t)
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeliverer(t, sender)
	m := testMessage([]string{rcpt}, nil, nil)
	first := MessageID(m.Job, m.Period, rcpt, "example.com")
	resend1 := ResendMessageID(m.Job, m.Period, rcpt, "example.com", 1)
	resend2 := ResendMessageID(m.Job, m.Period, rcpt, "example.com", 2)
	if first == resend1 || resend1 == resend2 || first == resend2 {
		t.Fatalf("Message-IDs not distinct: %s %s %s", first, resend1, resend2)
	}

	if _, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, false); err != nil {
		t.Fatal(err)
	}
	// The resend meets a server that is down for all its retries...
	srv.script(rcpt, tempFail, tempFail, tempFail, tempFail)
	if _, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, true); !errors.Is(err, ErrUndelivered) {
		t.Fatalf("resend during the outage: %v, want ErrUndelivered", err)
	}
	// ...and is finished by a later run without --resend, as the same message.
	if rep, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, false); err != nil || !slices.Equal(rep.Sent, []string{rcpt}) {
		t.Fatalf("resumed resend = %+v, %v; want sent", rep, err)
	}
	if _, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, true); err != nil {
		t.Fatal(err)
	}
	// Nothing more: everything is sent.
	if rep, err := d.Deliver(ctx, startRun(t, d.Ledger, m), m, false); err != nil || !slices.Equal(rep.Skipped, []string{rcpt}) {
		t.Fatalf("last Deliver = %+v, %v; want already sent", rep, err)
	}

	var got []string
	for _, msg := range srv.MessagesTo(rcpt) {
		got = append(got, parseMail(t, msg.Data).Header.Get("Message-Id"))
	}
	if diff := cmp.Diff([]string{first, resend1, resend2}, got); diff != "" {
		t.Errorf("Message-IDs on the wire (-want +got):\n%s", diff)
	}
	row := delivery(t, d.Ledger, m, rcpt)
	if row.Status != ledger.DeliverySent || row.Resends != 2 || row.MessageID != resend2 {
		t.Errorf("ledger row %+v, want sent, 2 resends, the second resend's Message-ID", row)
	}
	if ResendMessageID(m.Job, m.Period, rcpt, "example.com", 0) != first {
		t.Errorf("ResendMessageID(0) is not the first mail's Message-ID")
	}
}

// Owed lists the recipients without the report: not delivered yet, queued or
// failed temporarily; sent and permanently refused ones are not owed.
func TestDeliverOwed(t *testing.T) {
	const a, b, c, e = "a@example.com", "b@example.com", "c@example.com", "e@example.com"
	srv := startServer(t)
	srv.script(b, tempFail, tempFail, tempFail, tempFail)
	srv.script(c, permFail)
	sender, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeliverer(t, sender)
	m := testMessage([]string{a, "B <B@Example.com>"}, []string{c}, nil)
	if _, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false); !errors.Is(err, ErrUndelivered) {
		t.Fatalf("Deliver: %v, want ErrUndelivered", err)
	}
	m.Bcc = []string{e} // a recipient added to the job since
	owed, err := d.Owed(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{b, e}, owed); diff != "" {
		t.Errorf("Owed (-want +got):\n%s", diff)
	}
}
