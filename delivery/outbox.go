package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Outbox is a Sender that writes each recipient's copy to a file instead of
// mailing it: <dir>/<job>-<period>-<recipient>.eml, holding the bytes an
// SMTP server would receive in DATA. A written file counts as sent. Files
// are written to a temporary name and renamed, so a reader never sees half
// a mail.
type Outbox struct {
	dir                string
	now                func() time.Time
	maxAttachmentBytes int64
}

var _ Sender = (*Outbox)(nil)

// OutboxOption adjusts an Outbox.
type OutboxOption func(*Outbox)

// WithMaxAttachmentBytes limits the total size of a message's attachments,
// as SMTPConfig.MaxAttachmentBytes does for SMTP: a message over it is a
// permanent failure, and nothing is written. Default: 0, no limit.
func WithMaxAttachmentBytes(n int64) OutboxOption {
	return func(o *Outbox) { o.maxAttachmentBytes = max(n, 0) }
}

// NewOutbox returns an Outbox writing to dir, which is created when needed.
func NewOutbox(dir string, opts ...OutboxOption) *Outbox {
	o := &Outbox{dir: dir, now: time.Now}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Path returns the file rcpt's copy of job's report for period is written
// to.
func (o *Outbox) Path(job, period, rcpt string) string {
	return filepath.Join(o.dir, sanitizeFileName(job)+"-"+sanitizeFileName(period)+"-"+sanitizeFileName(rcpt)+".eml")
}

// Send writes rcpt's copy of m. A message that cannot be built (invalid
// address, missing or too large attachment) is a permanent failure; a file
// system error is worth retrying.
func (o *Outbox) Send(ctx context.Context, m *Message, rcpt, messageID string) (retry bool, err error) {
	path := o.Path(m.Job, m.Period, rcpt)
	wrap := func(err error) error { return fmt.Errorf("outbox: write %s: %w", path, err) }
	msg, err := buildMsg(m, rcpt, messageID, o.now(), o.maxAttachmentBytes)
	if err != nil {
		return false, wrap(err)
	}
	if err := ctx.Err(); err != nil {
		return true, wrap(err)
	}
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return true, wrap(err)
	}
	tmp, err := os.CreateTemp(o.dir, ".outbox-*.tmp")
	if err != nil {
		return true, wrap(err)
	}
	_, werr := msg.WriteTo(tmp)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return true, wrap(errors.Join(err, os.Remove(tmp.Name())))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return true, wrap(errors.Join(err, os.Remove(tmp.Name())))
	}
	return false, nil
}

// sanitizeFileName keeps letters, digits and ._@+- and replaces the rest,
// so that a recipient or job name cannot leave the folder.
func sanitizeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("._@+-", r):
			return r
		}
		return '_'
	}, s)
	// No hidden files, no "." or "..", no empty name.
	dots := len(s) - len(strings.TrimLeft(s, "."))
	s = strings.Repeat("_", dots) + s[dots:]
	if s == "" {
		s = "_"
	}
	return s
}
