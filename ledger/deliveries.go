package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeliveryStatus is the state of one recipient's delivery.
type DeliveryStatus string

// The states of a delivery.
const (
	DeliveryQueued     DeliveryStatus = "queued"           // not tried yet in this run
	DeliverySent       DeliveryStatus = "sent"             // the server accepted the message
	DeliveryFailedTemp DeliveryStatus = "failed-temporary" // worth another try
	DeliveryFailedPerm DeliveryStatus = "failed-permanent" // will not work without a change
)

// Valid reports whether s is one of the known delivery states.
func (s DeliveryStatus) Valid() bool {
	switch s {
	case DeliveryQueued, DeliverySent, DeliveryFailedTemp, DeliveryFailedPerm:
		return true
	}
	return false
}

// The kinds of recipient.
const (
	KindTo  = "to"
	KindCc  = "cc"
	KindBcc = "bcc"
)

// Delivery is the record of getting one period's report of one job to one
// recipient. There is one per (Job, Period, Recipient), reused across runs.
type Delivery struct {
	ID        int64
	RunID     int64 // the latest run that queued it
	Job       string
	Period    string
	Recipient string
	Kind      string // KindTo, KindCc or KindBcc
	MessageID string
	Status    DeliveryStatus
	Attempts  int // over all runs
	Resends   int // how often it was put back for a resend (ResetDelivery)
	LastError string
	SentAt    time.Time // zero until sent
	UpdatedAt time.Time
	// Files are the attachments the recipient got, with their SHA-256, as
	// recorded when it was marked sent; nil before, and for a mail without
	// attachments.
	Files []SentFile
}

// SentFile is one attachment a recipient got: its name and the SHA-256 (hex)
// of its bytes.
type SentFile struct {
	Name   string
	SHA256 string
}

// formatFiles stores files as sha256sum does: one "hex  name" line each.
func formatFiles(files []SentFile) string {
	var b strings.Builder
	for i, f := range files {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.SHA256 + "  " + strings.ReplaceAll(f.Name, "\n", " "))
	}
	return b.String()
}

// parseFiles reads what formatFiles stored.
func parseFiles(s string) []SentFile {
	if s == "" {
		return nil
	}
	var files []SentFile
	for _, line := range strings.Split(s, "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		files = append(files, SentFile{Name: name, SHA256: sum})
	}
	return files
}

const deliveryColumns = `id, run_id, job, period, recipient, kind, message_id, status, attempts, resends, last_error, sent_at, updated_at, files`

// QueueDelivery returns the delivery row of (job, period, recipient),
// inserting it as queued with messageID if there is none. An existing row
// that is not sent is queued again for runID; it keeps its Message-ID if it
// is a resend (Resends > 0), so that every attempt at one resend carries the
// same one. A sent row is returned unchanged, never downgraded.
func (l *Ledger) QueueDelivery(ctx context.Context, runID int64, job, period, recipient, kind, messageID string) (Delivery, error) {
	wrap := func(err error) error {
		return fmt.Errorf("ledger: queue delivery %s %s to %s: %w", job, period, recipient, err)
	}
	if job == "" || period == "" || recipient == "" {
		return Delivery{}, wrap(fmt.Errorf("%w: job, period and recipient must not be empty", ErrInvalidValue))
	}
	switch kind {
	case KindTo, KindCc, KindBcc:
	default:
		return Delivery{}, wrap(fmt.Errorf("%w: kind %q", ErrInvalidValue, kind))
	}
	var d Delivery
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(l.now())
		_, err := tx.ExecContext(ctx, l.q(`
INSERT INTO deliveries (run_id, job, period, recipient, kind, message_id, status, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (job, period, recipient) DO UPDATE
SET run_id = excluded.run_id, kind = excluded.kind,
    message_id = CASE WHEN deliveries.resends > 0 THEN deliveries.message_id ELSE excluded.message_id END,
    status = excluded.status, updated_at = excluded.updated_at
WHERE deliveries.status <> ?`),
			runID, job, period, recipient, kind, messageID, string(DeliveryQueued), now, string(DeliverySent))
		if err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, l.q(`SELECT `+deliveryColumns+` FROM deliveries
WHERE job = ? AND period = ? AND recipient = ?`), job, period, recipient))
		return err
	})
	if err != nil {
		return Delivery{}, wrap(err)
	}
	return d, nil
}

// Attempt is the outcome of one attempt at a delivery.
type Attempt struct {
	ID     int64 // the delivery
	Status DeliveryStatus
	Error  string     // the last error; "" for sent
	At     time.Time  // when the attempt ended
	Files  []SentFile // for sent: the attachments the recipient got
}

// MarkAttempt records one attempt at delivery id that ended at at with
// status: attempts is incremented, errMsg kept as the last error, and
// sent_at set when status is sent. A sent delivery cannot be marked again
// (ErrAlreadySent) until ResetDelivery.
func (l *Ledger) MarkAttempt(ctx context.Context, id int64, status DeliveryStatus, errMsg string, at time.Time) error {
	return l.RecordAttempt(ctx, Attempt{ID: id, Status: status, Error: errMsg, At: at})
}

// RecordAttempt is MarkAttempt that also records, for a sent delivery, the
// attachments the recipient got (a.Files).
func (l *Ledger) RecordAttempt(ctx context.Context, a Attempt) error {
	id, status := a.ID, a.Status
	wrap := func(err error) error { return fmt.Errorf("ledger: mark delivery %d %s: %w", id, status, err) }
	if !status.Valid() || status == DeliveryQueued {
		return wrap(fmt.Errorf("%w: attempt status %q", ErrInvalidValue, status))
	}
	sentAt, files := "", ""
	if status == DeliverySent {
		sentAt, files = formatTime(a.At), formatFiles(a.Files)
	}
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.requireStatus(ctx, tx, id, func(s DeliveryStatus) error {
			if s == DeliverySent {
				return ErrAlreadySent
			}
			return nil
		}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, l.q(`UPDATE deliveries
SET status = ?, attempts = attempts + 1, last_error = ?, sent_at = ?, updated_at = ?, files = ? WHERE id = ?`),
			string(status), a.Error, sentAt, formatTime(a.At), files, id)
		return err
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ResetDelivery puts delivery id back to queued so that it is sent again
// (for --resend), as a new message: Resends is counted up and messageID is
// the Message-ID of the copy to send. Its attempts and last error are kept.
func (l *Ledger) ResetDelivery(ctx context.Context, id int64, messageID string) error {
	if messageID == "" {
		return fmt.Errorf("ledger: reset delivery %d: %w: empty message id", id, ErrInvalidValue)
	}
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.requireStatus(ctx, tx, id, func(DeliveryStatus) error { return nil }); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, l.q(`UPDATE deliveries
SET status = ?, sent_at = '', message_id = ?, resends = resends + 1, updated_at = ? WHERE id = ?`),
			string(DeliveryQueued), messageID, formatTime(l.now()), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger: reset delivery %d: %w", id, err)
	}
	return nil
}

// requireStatus reads the status of delivery id and passes it to check.
func (l *Ledger) requireStatus(ctx context.Context, tx *sql.Tx, id int64, check func(DeliveryStatus) error) error {
	var s string
	switch err := tx.QueryRowContext(ctx, l.q(`SELECT status FROM deliveries WHERE id = ?`+l.dialect.forUpdate), id).Scan(&s); {
	case errors.Is(err, sql.ErrNoRows):
		return ErrDeliveryNotFound
	case err != nil:
		return err
	}
	return check(DeliveryStatus(s))
}

// Deliveries returns the deliveries of job for period in the order they were
// first queued.
func (l *Ledger) Deliveries(ctx context.Context, job, period string) ([]Delivery, error) {
	ds, err := l.queryDeliveries(ctx, `WHERE job = ? AND period = ? ORDER BY id`, job, period)
	if err != nil {
		return nil, fmt.Errorf("ledger: deliveries %s %s: %w", job, period, err)
	}
	return ds, nil
}

// Pending returns every delivery that is queued or failed temporarily, over
// all jobs and periods, oldest first: the work to resume after a restart.
func (l *Ledger) Pending(ctx context.Context) ([]Delivery, error) {
	ds, err := l.queryDeliveries(ctx, `WHERE status IN (?, ?) ORDER BY id`,
		string(DeliveryQueued), string(DeliveryFailedTemp))
	if err != nil {
		return nil, fmt.Errorf("ledger: pending deliveries: %w", err)
	}
	return ds, nil
}

func (l *Ledger) queryDeliveries(ctx context.Context, clause string, args ...any) ([]Delivery, error) {
	rows, err := l.db.QueryContext(ctx, l.q(`SELECT `+deliveryColumns+` FROM deliveries `+clause), args...)
	if err != nil {
		return nil, err
	}
	var ds []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		ds = append(ds, d)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	return ds, nil
}

func scanDelivery(s rowScanner) (Delivery, error) {
	var (
		d               Delivery
		status          string
		sent, updated   string
		files           string
		sentErr, updErr error
	)
	if err := s.Scan(&d.ID, &d.RunID, &d.Job, &d.Period, &d.Recipient, &d.Kind, &d.MessageID,
		&status, &d.Attempts, &d.Resends, &d.LastError, &sent, &updated, &files); err != nil {
		return Delivery{}, err
	}
	d.Files = parseFiles(files)
	d.Status = DeliveryStatus(status)
	d.SentAt, sentErr = parseTime(sent)
	d.UpdatedAt, updErr = parseTime(updated)
	if err := errors.Join(sentErr, updErr); err != nil {
		return Delivery{}, fmt.Errorf("delivery %d: %w", d.ID, err)
	}
	return d, nil
}
