package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kpireport/kpireport/backoff"
	"github.com/kpireport/kpireport/ledger"
)

// Sender makes one attempt to deliver m to one envelope recipient, rcpt,
// with the given Message-ID. The visible To and Cc headers list m's To and
// Cc; Bcc never appears in a header. When it fails, retry says whether
// another attempt can succeed; it is decided by the Sender because only it
// understands its errors.
type Sender interface {
	Send(ctx context.Context, m *Message, rcpt string, messageID string) (retry bool, err error)
}

// Policy says how often and how patiently temporary failures are retried.
// Zero fields take their defaults.
type Policy struct {
	// Retries is the number of attempts after the first. Default: 4;
	// negative: none. With the default backoff the retries wait at most
	// 30+60+120+240 s (+jitter), well inside a job's default timeout.
	Retries int
	// Backoff is the wait before the first retry; it doubles for each
	// further one. Default: 30s.
	Backoff time.Duration
	// MaxBackoff caps the wait. Default: 10m.
	MaxBackoff time.Duration
	// Jitter spreads each wait randomly by up to this fraction either way.
	// Default: 0.2; negative: none.
	Jitter float64
}

// The defaults of Policy.
const (
	DefaultRetries    = 4
	DefaultBackoff    = 30 * time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultJitter     = backoff.Jitter
)

func (p Policy) withDefaults() Policy {
	switch {
	case p.Retries == 0:
		p.Retries = DefaultRetries
	case p.Retries < 0:
		p.Retries = 0
	}
	if p.Backoff <= 0 {
		p.Backoff = DefaultBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = DefaultJitter
	case p.Jitter < 0:
		p.Jitter = 0
	}
	return p
}

// wait returns how long to wait before retry n (1 for the first retry):
// Backoff·2^(n−1), capped at MaxBackoff, spread by ±Jitter (package backoff).
func (p Policy) wait(n int) time.Duration {
	return backoff.Spread(backoff.Wait(p.Backoff, p.MaxBackoff, n), p.Jitter)
}

// Clock is the time source of a Deliverer; tests use a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Deliverer sends a report to every recipient exactly once, as recorded in
// the ledger, retrying temporary failures.
//
// A message the server accepted is a fact the ledger must get: when writing
// it fails (an SQLite lock held by another process, a PostgreSQL restart),
// the write is retried with backoff until ctx's deadline (or LedgerWait when
// ctx has none); if it still fails, the fact goes to the Journal, whose
// recipients count as sent until it is replayed into the ledger.
type Deliverer struct {
	Sender Sender
	Ledger *ledger.Ledger
	Policy Policy
	Logger *slog.Logger // nil: no logging
	Clock  Clock        // nil: the real clock
	// Journal keeps the sent facts the ledger could not take; nil: none, and
	// a ledger that stays down fails the delivery as before.
	Journal *Journal
	// LedgerWait bounds the retries of a ledger write when ctx has no
	// deadline. Default: DefaultLedgerWait.
	LedgerWait time.Duration
}

// DefaultLedgerWait is how long a ledger write is retried when the run has
// no deadline; MinLedgerWait is how long it is retried at least, also when
// the run's deadline is nearer or past (one SQLite busy timeout, and then
// some).
const (
	DefaultLedgerWait = 2 * time.Minute
	MinLedgerWait     = 10 * time.Second
)

// The backoff of ledger write retries: 250ms doubling up to 5s.
const (
	ledgerBackoff    = 250 * time.Millisecond
	ledgerMaxBackoff = 5 * time.Second
)

// Report is what one Deliver call did.
type Report struct {
	Sent    []string         // delivered by this call
	Skipped []string         // already sent by an earlier call
	Failed  []RecipientError // not delivered
}

// RecipientError says why a recipient was not delivered.
type RecipientError struct {
	Recipient string
	Kind      string // ledger.KindTo, KindCc or KindBcc
	Attempts  int    // made by this call
	// Temporary is true when the last failure was worth retrying but the
	// retries ran out or the context ended; the ledger keeps the delivery
	// pending (see ledger.Ledger.Pending).
	Temporary bool
	Err       error
}

func (e RecipientError) Error() string {
	return fmt.Sprintf("%s %s after %d %s: %v", e.Kind, e.Recipient, e.Attempts, plural(e.Attempts, "attempt"), e.Err)
}

func (e RecipientError) Unwrap() error { return e.Err }

// Deliver sends m to every To, Cc and Bcc recipient that the ledger does not
// yet have as sent for (m.Job, m.Period); with resend, those are reset and
// sent again. Each recipient gets its own transaction. Temporary failures
// are retried with exponential backoff and jitter, only for the recipients
// still unsent. Every attempt is recorded in the ledger before Deliver
// returns, also when ctx ends. The error wraps ErrUndelivered if any
// recipient ended failed; it is also returned for an invalid message or a
// ledger failure, with the Report of what was done until then.
func (d *Deliverer) Deliver(ctx context.Context, runID int64, m *Message, resend bool) (*Report, error) {
	rep := &Report{}
	wrap := func(err error) error { return fmt.Errorf("delivery: deliver %s %s: %w", m.Job, m.Period, err) }
	if d.Sender == nil || d.Ledger == nil {
		return rep, wrap(fmt.Errorf("%w: Deliverer needs a Sender and a Ledger", ErrInvalidConfig))
	}
	domain, err := m.validate()
	if err != nil {
		return rep, wrap(err)
	}
	// Every recipient gets the bytes read here, and the ledger records their
	// hashes: a file rewritten during the send changes nothing.
	m, files, err := m.withAttachmentData()
	if err != nil {
		return rep, wrap(err)
	}
	log := d.logger().With("job", m.Job, "period", m.Period, "run", runID)
	journaled, err := d.replayJournal(ctx, log, m.Job, m.Period)
	if err != nil {
		return rep, wrap(err)
	}

	var todo []pending
	for _, r := range m.recipients() {
		if journaled[r.addr] {
			// Sent, as the journal says, but not yet in the ledger: never
			// again, not even for a resend, until the ledger has it.
			log.Warn("already sent (in the delivery journal, not yet in the ledger)", "rcpt", r.addr)
			rep.Skipped = append(rep.Skipped, r.addr)
			continue
		}
		row, err := d.Ledger.QueueDelivery(ctx, runID, m.Job, m.Period, r.addr, r.kind, MessageID(m.Job, m.Period, r.addr, domain))
		if err != nil {
			return rep, wrap(err)
		}
		if row.Status == ledger.DeliverySent {
			if !resend {
				log.Info("already sent", "rcpt", row.Recipient, "sent_at", row.SentAt)
				rep.Skipped = append(rep.Skipped, row.Recipient)
				continue
			}
			// The resend is a new message: receivers that drop repeats of a
			// Message-ID must not drop it.
			row.Resends++
			row.MessageID = ResendMessageID(m.Job, m.Period, r.addr, domain, row.Resends)
			if err := d.Ledger.ResetDelivery(ctx, row.ID, row.MessageID); err != nil {
				return rep, wrap(err)
			}
		}
		todo = append(todo, pending{Delivery: row, kind: r.kind})
	}
	total := len(todo) + len(rep.Skipped)
	if err := d.sendAll(ctx, log, m, files, todo, rep); err != nil {
		return rep, wrap(err)
	}
	if len(rep.Failed) > 0 {
		errs := make([]error, len(rep.Failed))
		for i, f := range rep.Failed {
			errs[i] = f
		}
		return rep, fmt.Errorf("%w: %s %s: %d of %d %s: %w", ErrUndelivered, m.Job, m.Period,
			len(rep.Failed), total, plural(total, "recipient"), recipientErrors(errs))
	}
	return rep, nil
}

// Owed returns the recipients of m, as the ledger keys them (lower-cased
// addresses), that do not have m's report for (m.Job, m.Period) yet: they
// have no delivery row, or one that is queued or failed temporarily, and the
// Journal does not have them as sent. A
// recipient whose delivery failed permanently is not owed: without a change
// to the address, another try fails the same way. Only m's Job, Period, To,
// Cc and Bcc are used.
func (d *Deliverer) Owed(ctx context.Context, m *Message) ([]string, error) {
	if d.Ledger == nil {
		return nil, fmt.Errorf("delivery: owed %s %s: %w: Deliverer needs a Ledger", m.Job, m.Period, ErrInvalidConfig)
	}
	rows, err := d.Ledger.Deliveries(ctx, m.Job, m.Period)
	if err != nil {
		return nil, fmt.Errorf("delivery: owed %s %s: %w", m.Job, m.Period, err)
	}
	done := make(map[string]bool, len(rows))
	for _, row := range rows {
		done[row.Recipient] = row.Status == ledger.DeliverySent || row.Status == ledger.DeliveryFailedPerm
	}
	if d.Journal != nil {
		journaled, err := d.Journal.Sent(m.Job, m.Period)
		if err != nil {
			return nil, fmt.Errorf("delivery: owed %s %s: %w", m.Job, m.Period, err)
		}
		for r := range journaled {
			done[r] = true
		}
	}
	var owed []string
	for _, r := range m.recipients() {
		if !done[r.addr] {
			owed = append(owed, r.addr)
		}
	}
	return owed, nil
}

// pending is a delivery still to be made, with what this call saw of it.
type pending struct {
	ledger.Delivery
	kind     string
	attempts int
	lastErr  error
}

// sendAll is the retry loop: one round tries every pending recipient once,
// records each attempt, and keeps the temporary failures for the next round
// after a backoff. It returns an error only when the ledger fails.
func (d *Deliverer) sendAll(ctx context.Context, log *slog.Logger, m *Message, files []ledger.SentFile, todo []pending, rep *Report) error {
	policy := d.Policy.withDefaults()
	clock := d.clock()
	for round := 1; len(todo) > 0; round++ {
		var again []pending
		for _, p := range todo {
			if ctx.Err() != nil {
				again = append(again, p) // not tried: stays queued in the ledger
				continue
			}
			retry, err := d.Sender.Send(ctx, m, p.Recipient, p.MessageID)
			p.attempts++
			p.lastErr = err
			status := ledger.DeliverySent
			switch {
			case err == nil:
			case retry:
				status = ledger.DeliveryFailedTemp
			default:
				status = ledger.DeliveryFailedPerm
			}
			errMsg := ""
			if err != nil {
				errMsg = err.Error()
			}
			at := clock.Now()
			if lerr := d.record(ctx, log, ledger.Attempt{ID: p.ID, Status: status, Error: errMsg, At: at, Files: files}); lerr != nil {
				if status != ledger.DeliverySent {
					return lerr
				}
				// The recipient has the report: keep that, in the journal.
				rep.Sent = append(rep.Sent, p.Recipient)
				return d.journal(log, m, p, at, files, lerr)
			}
			attrs := []any{"rcpt", p.Recipient, "kind", p.kind, "attempt", p.attempts, "status", string(status)}
			if err != nil {
				attrs = append(attrs, "err", errMsg)
			}
			// Info, also for a failure: the error Deliver returns says who was not
			// reached and why, and its caller logs or prints that once.
			log.Log(ctx, slog.LevelInfo, "delivery attempt", attrs...)
			switch {
			case status == ledger.DeliverySent:
				rep.Sent = append(rep.Sent, p.Recipient)
			case status == ledger.DeliveryFailedTemp && round <= policy.Retries:
				again = append(again, p)
			default:
				rep.Failed = append(rep.Failed, p.failure(status == ledger.DeliveryFailedTemp))
			}
		}
		todo = again
		if len(todo) == 0 {
			break
		}
		if ctx.Err() == nil {
			wait := policy.wait(round)
			log.Info("retrying", "recipients", len(todo), "retry", round, "wait", wait)
			select {
			case <-ctx.Done():
			case <-clock.After(wait):
			}
		}
		if err := ctx.Err(); err != nil {
			for _, p := range todo {
				if p.lastErr == nil {
					p.lastErr = err
				}
				rep.Failed = append(rep.Failed, p.failure(true))
			}
			log.Info("stopped", "recipients_left", len(todo), "err", err) // in Deliver's error too
			break
		}
	}
	return nil
}

// record writes attempt a into the ledger, retrying a failed write with
// backoff until ctx's deadline (LedgerWait from now when it has none), but
// for at least MinLedgerWait, also after ctx ended: the ledger must know what
// went out.
func (d *Deliverer) record(ctx context.Context, log *slog.Logger, a ledger.Attempt) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		wait := d.LedgerWait
		if wait <= 0 {
			wait = DefaultLedgerWait
		}
		deadline = time.Now().Add(wait)
	}
	if least := time.Now().Add(MinLedgerWait); deadline.Before(least) {
		deadline = least
	}
	rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	for n := 1; ; n++ {
		err := d.Ledger.RecordAttempt(rctx, a)
		if err == nil || errors.Is(err, ledger.ErrAlreadySent) || errors.Is(err, ledger.ErrDeliveryNotFound) ||
			errors.Is(err, ledger.ErrInvalidValue) {
			return err
		}
		wait := backoff.Spread(backoff.Wait(ledgerBackoff, ledgerMaxBackoff, n), backoff.Jitter)
		if time.Until(deadline) < wait {
			log.Error("cannot record attempt", "delivery", a.ID, "status", string(a.Status), "tries", n, "err", err)
			return err
		}
		log.Warn("cannot record attempt, retrying", "delivery", a.ID, "status", string(a.Status), "try", n, "wait", wait, "err", err)
		select {
		case <-rctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// journal keeps the fact that p got m in the Journal, after the ledger
// refused it with lerr, and returns the error that ends the delivery: the
// ledger is down, so nothing more is sent.
func (d *Deliverer) journal(log *slog.Logger, m *Message, p pending, at time.Time, files []ledger.SentFile, lerr error) error {
	if d.Journal == nil {
		return fmt.Errorf("%s has the report but the ledger does not know: %w", p.Recipient, lerr)
	}
	err := d.Journal.Append(JournalEntry{Delivery: p.ID, Job: m.Job, Period: m.Period, Recipient: p.Recipient,
		Status: ledger.DeliverySent, At: at, Files: files})
	if err != nil {
		log.Error("cannot journal a sent delivery: the next run may mail it again", "rcpt", p.Recipient, "err", errors.Join(lerr, err))
		return fmt.Errorf("%s has the report but neither the ledger nor the journal know: %w", p.Recipient, errors.Join(lerr, err))
	}
	log.Error("ledger down: sent delivery kept in the journal until the ledger takes it", "rcpt", p.Recipient,
		"journal", d.Journal.Path(), "err", lerr)
	return fmt.Errorf("%w: %s has the report; kept in %s until the ledger takes it: %w", ErrJournaled, p.Recipient, d.Journal.Path(), lerr)
}

// replayJournal replays the Journal into the ledger and returns the
// recipients of job and period it still has as sent (those the ledger did
// not take yet).
func (d *Deliverer) replayJournal(ctx context.Context, log *slog.Logger, job, period string) (map[string]bool, error) {
	if d.Journal == nil {
		return nil, nil
	}
	replayed, left, err := d.Journal.Replay(ctx, d.Ledger)
	if replayed > 0 {
		log.Info("delivery journal replayed into the ledger", "journal", d.Journal.Path(), "facts", replayed)
	}
	if err != nil {
		log.Warn("delivery journal not replayed yet", "journal", d.Journal.Path(), "left", left, "err", err)
	}
	return d.Journal.Sent(job, period)
}

func (p pending) failure(temporary bool) RecipientError {
	return RecipientError{Recipient: p.Recipient, Kind: p.kind, Attempts: p.attempts, Temporary: temporary, Err: p.lastErr}
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d *Deliverer) clock() Clock {
	if d.Clock == nil {
		return realClock{}
	}
	return d.Clock
}

// recipientErrors are the errors of the recipients not reached, said on one line
// joined with "; " (as history shows them); errors.Is and errors.As see each.
type recipientErrors []error

func (e recipientErrors) Error() string {
	texts := make([]string, len(e))
	for i, err := range e {
		texts[i] = err.Error()
	}
	return strings.Join(texts, "; ")
}

func (e recipientErrors) Unwrap() []error { return e }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
