package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestQueueDelivery(t *testing.T) {
	forEachBackend(t, testQueueDelivery)
}

func testQueueDelivery(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	run1 := newRun(l)(t)
	run2 := newRun(l)(t)

	first, err := l.QueueDelivery(ctx, run1, "monthly", "2026-10", "a@example.com", KindTo, "<id-a@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	want := Delivery{
		ID: first.ID, RunID: run1, Job: "monthly", Period: "2026-10", Recipient: "a@example.com",
		Kind: KindTo, MessageID: "<id-a@example.com>", Status: DeliveryQueued,
	}
	if diff := cmp.Diff(want, first, cmpopts.IgnoreFields(Delivery{}, "UpdatedAt")); diff != "" {
		t.Errorf("new delivery (-want +got):\n%s", diff)
	}

	tests := []struct {
		name       string
		before     DeliveryStatus // status given to the row before queueing again; "" = none
		kind       string
		wantStatus DeliveryStatus
		wantRun    int64
		wantErr    error
	}{
		{"queued again by a later run", "", KindCc, DeliveryQueued, run2, nil},
		{"failed temporarily is queued again", DeliveryFailedTemp, KindTo, DeliveryQueued, run2, nil},
		{"failed permanently is queued again", DeliveryFailedPerm, KindTo, DeliveryQueued, run2, nil},
		{"sent is never downgraded", DeliverySent, KindBcc, DeliverySent, run1, nil},
		{"unknown kind", "", "reply-to", "", 0, ErrInvalidValue},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcpt := string(rune('b'+i)) + "@example.com"
			d, err := l.QueueDelivery(ctx, run1, "monthly", "2026-10", rcpt, KindTo, "<id>")
			if err != nil {
				t.Fatal(err)
			}
			if tt.before != "" {
				if err := l.MarkAttempt(ctx, d.ID, tt.before, "", t0); err != nil {
					t.Fatal(err)
				}
			}
			got, err := l.QueueDelivery(ctx, run2, "monthly", "2026-10", rcpt, tt.kind, "<id>")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("QueueDelivery error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.ID != d.ID {
				t.Errorf("QueueDelivery made a second row %d for %s (first %d)", got.ID, rcpt, d.ID)
			}
			if got.Status != tt.wantStatus || got.RunID != tt.wantRun {
				t.Errorf("QueueDelivery = status %s run %d, want %s run %d", got.Status, got.RunID, tt.wantStatus, tt.wantRun)
			}
		})
	}

	all, err := l.Deliveries(ctx, "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1+len(tests) { // one per recipient, however often queued
		t.Errorf("Deliveries = %d rows, want %d", len(all), 1+len(tests))
	}
}

func TestMarkAttempt(t *testing.T) {
	forEachBackend(t, testMarkAttempt)
}

func testMarkAttempt(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	run := newRun(l)(t)
	d, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", "a@example.com", KindTo, "<id>")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 7, 0, 0, 0, time.FixedZone("CET", 3600))
	steps := []struct {
		name         string
		id           int64
		status       DeliveryStatus
		errMsg       string
		wantErr      error
		wantAttempts int
		wantSent     bool
	}{
		{"temporary failure", d.ID, DeliveryFailedTemp, "451 try later", nil, 1, false},
		{"second temporary failure", d.ID, DeliveryFailedTemp, "421 busy", nil, 2, false},
		{"sent", d.ID, DeliverySent, "", nil, 3, true},
		{"sent is final", d.ID, DeliveryFailedTemp, "x", ErrAlreadySent, 3, true},
		{"queued is not an attempt", d.ID, DeliveryQueued, "", ErrInvalidValue, 3, true},
		{"unknown delivery", 9999, DeliverySent, "", ErrDeliveryNotFound, 3, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := l.MarkAttempt(ctx, st.id, st.status, st.errMsg, at)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("MarkAttempt error = %v, want %v", err, st.wantErr)
			}
			ds, err := l.Deliveries(ctx, "monthly", "2026-10")
			if err != nil {
				t.Fatal(err)
			}
			got := ds[0]
			if got.Attempts != st.wantAttempts {
				t.Errorf("attempts = %d, want %d", got.Attempts, st.wantAttempts)
			}
			if st.wantSent != !got.SentAt.IsZero() {
				t.Errorf("sent_at = %v, want set: %v", got.SentAt, st.wantSent)
			}
			if st.wantErr == nil {
				if got.Status != st.status || got.LastError != st.errMsg || !got.UpdatedAt.Equal(at) {
					t.Errorf("delivery = %+v, want status %s, last error %q, updated %v", got, st.status, st.errMsg, at)
				}
			}
			if st.wantSent && !got.SentAt.Equal(at) {
				t.Errorf("sent_at = %v, want %v", got.SentAt, at)
			}
		})
	}
}

func TestResetDelivery(t *testing.T) {
	forEachBackend(t, testResetDelivery)
}

func testResetDelivery(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	run := newRun(l)(t)
	d, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", "a@example.com", KindTo, "<id>")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.MarkAttempt(ctx, d.ID, DeliverySent, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := l.ResetDelivery(ctx, d.ID, "<resend-1>"); err != nil {
		t.Fatal(err)
	}
	ds, err := l.Deliveries(ctx, "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[0]; got.Status != DeliveryQueued || !got.SentAt.IsZero() || got.Attempts != 1 ||
		got.Resends != 1 || got.MessageID != "<resend-1>" {
		t.Errorf("after reset = %+v, want queued, no sent_at, attempts kept, 1 resend with its own message id", got)
	}
	// A run that picks the resend up again (the resend failed, or the process
	// stopped) keeps the resend's Message-ID, not the first mail's.
	again, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", "a@example.com", KindTo, "<id>")
	if err != nil {
		t.Fatal(err)
	}
	if again.MessageID != "<resend-1>" || again.Resends != 1 {
		t.Errorf("queued again after a reset = %+v, want message id <resend-1>, 1 resend", again)
	}
	if err := l.MarkAttempt(ctx, d.ID, DeliverySent, "", t0); err != nil {
		t.Errorf("MarkAttempt after reset: %v", err)
	}
	if err := l.ResetDelivery(ctx, d.ID, "<resend-2>"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := l.Deliveries(ctx, "monthly", "2026-10"); ds[0].Resends != 2 || ds[0].MessageID != "<resend-2>" {
		t.Errorf("after a second reset = %+v, want 2 resends, message id <resend-2>", ds[0])
	}
	if err := l.ResetDelivery(ctx, 9999, "<x>"); !errors.Is(err, ErrDeliveryNotFound) {
		t.Errorf("ResetDelivery(unknown) = %v, want ErrDeliveryNotFound", err)
	}
	if err := l.ResetDelivery(ctx, d.ID, ""); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("ResetDelivery without a message id = %v, want ErrInvalidValue", err)
	}
}

// A queued delivery that was never resent takes the Message-ID it is queued
// with, as before resends were counted.
func TestQueueDeliveryUpdatesMessageIDOfFirstMail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		l := openTest(t, b, "")
		run := newRun(l)(t)
		if _, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", "a@example.com", KindTo, "<old@example.com>"); err != nil {
			t.Fatal(err)
		}
		d, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", "a@example.com", KindTo, "<new@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		if d.MessageID != "<new@example.com>" || d.Resends != 0 {
			t.Errorf("queued again = %+v, want message id <new@example.com>, no resends", d)
		}
	})
}

func TestPendingSurvivesReopen(t *testing.T) {
	forEachBackend(t, testPendingSurvivesReopen)
}

func testPendingSurvivesReopen(t *testing.T, b backend) {
	ctx := t.Context()
	db := b.newDB(t)
	l, err := b.open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.StartRun(ctx, "monthly", "2026-10", TriggerScheduled)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]DeliveryStatus{
		"queued@example.com": "",
		"temp@example.com":   DeliveryFailedTemp,
		"perm@example.com":   DeliveryFailedPerm,
		"sent@example.com":   DeliverySent,
	}
	for _, rcpt := range []string{"queued@example.com", "temp@example.com", "perm@example.com", "sent@example.com"} {
		d, err := l.QueueDelivery(ctx, run.ID, "monthly", "2026-10", rcpt, KindTo, "<id>")
		if err != nil {
			t.Fatal(err)
		}
		if s := statuses[rcpt]; s != "" {
			if err := l.MarkAttempt(ctx, d.ID, s, "", t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := openTest(t, b, db)
	pending, err := l2.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range pending {
		got = append(got, d.Recipient+" "+string(d.Status))
	}
	want := []string{"queued@example.com queued", "temp@example.com failed-temporary"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Pending after reopen (-want +got):\n%s", diff)
	}
}

// A sent delivery keeps the attachments the recipient got with their SHA-256; a
// failed attempt records none.
func TestRecordAttemptFiles(t *testing.T) {
	forEachBackend(t, testRecordAttemptFiles)
}

func testRecordAttemptFiles(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	run := newRun(l)(t)
	files := []SentFile{
		{Name: "monthly-2026-10.xlsx", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Name: "maand rapport 2026-10.pdf", SHA256: "cf10c512fca7e964d4a39338f9f7c6c761ac9c65bb76ee827dc8907a35e9661c"},
	}
	at := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	for _, rcpt := range []string{"a@example.com", "b@example.com"} {
		d, err := l.QueueDelivery(ctx, run, "monthly", "2026-10", rcpt, KindTo, "<id-"+rcpt+">")
		if err != nil {
			t.Fatal(err)
		}
		status := DeliverySent
		if rcpt == "b@example.com" {
			status = DeliveryFailedTemp
		}
		if err := l.RecordAttempt(ctx, Attempt{ID: d.ID, Status: status, Error: "", At: at, Files: files}); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := l.Deliveries(ctx, "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, ds[0].Files); diff != "" {
		t.Errorf("files of the sent delivery (-want +got):\n%s", diff)
	}
	if ds[1].Files != nil {
		t.Errorf("files of a failed attempt = %v, want none", ds[1].Files)
	}
}
