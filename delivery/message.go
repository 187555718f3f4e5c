package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/ledger"
)

// Attachment is a file to attach. Data, when set, is what is attached, and
// Path only names it; else the file at Path is read once per Deliver call, so
// that every recipient gets the same bytes even if the file changes during
// the send. Name defaults to the base name of Path and ContentType to the one
// its extension implies (else application/octet-stream).
type Attachment struct {
	Path        string
	Name        string
	ContentType string
	Data        []byte
}

// Message is one report mail for one job and period. Each recipient gets
// its own copy in its own SMTP transaction; the To and Cc headers show the
// To and Cc lists (an address that does not parse is left out of them and
// fails on its own), Bcc recipients never appear in any header.
type Message struct {
	Job, Period string
	From        string // "Name <addr>" or addr
	To          []string
	Cc          []string
	Bcc         []string
	ReplyTo     []string
	Subject     string
	HTML, Text  string // both set: multipart/alternative
	Attachments []Attachment
}

// recipient is one envelope recipient of a Message.
type recipient struct {
	addr string // the lower-cased addr-spec, or the raw text if it does not parse
	kind string // ledger.KindTo, KindCc or KindBcc
}

// recipients returns the To, Cc and Bcc recipients in that order, each
// address once (the first kind wins), as the keys the ledger stores: the
// lower-cased addr-spec, so that "Ann@X.org" and "ann@x.org" are one
// recipient however the config spells them.
// Addresses that do not parse are kept as written, so that the Sender
// rejects them and the ledger records why.
func (m *Message) recipients() []recipient {
	var rs []recipient
	seen := map[string]bool{}
	for _, list := range []struct {
		kind  string
		addrs []string
	}{{ledger.KindTo, m.To}, {ledger.KindCc, m.Cc}, {ledger.KindBcc, m.Bcc}} {
		for _, raw := range list.addrs {
			key := strings.TrimSpace(raw)
			if a, err := parseAddress(raw); err == nil {
				key = strings.ToLower(a.Address)
			}
			if key == "" || seen[key] {
				continue
			}
			seen[key] = true
			rs = append(rs, recipient{addr: key, kind: list.kind})
		}
	}
	return rs
}

// validate checks what every recipient's copy needs: a job and period, a
// From and Reply-To that parse, a recipient, a body, and attachments that
// exist. It returns the domain of the From address.
func (m *Message) validate() (domain string, err error) {
	var errs []string
	if m.Job == "" || m.Period == "" {
		errs = append(errs, "job and period must be set")
	}
	from, err := parseAddress(m.From)
	if err != nil {
		errs = append(errs, fmt.Sprintf("from: %v", err))
	}
	for i, r := range m.ReplyTo {
		if _, err := parseAddress(r); err != nil {
			errs = append(errs, fmt.Sprintf("reply-to[%d]: %v", i, err))
		}
	}
	if len(m.recipients()) == 0 {
		errs = append(errs, "no recipients")
	}
	if m.HTML == "" && m.Text == "" {
		errs = append(errs, "no body")
	}
	for i, a := range m.Attachments {
		if a.Data != nil {
			continue
		}
		fi, err := os.Stat(a.Path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("attachments[%d]: %v", i, err))
		case !fi.Mode().IsRegular():
			errs = append(errs, fmt.Sprintf("attachments[%d]: %s is not a regular file", i, a.Path))
		}
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("%w: %s", ErrInvalidMessage, strings.Join(errs, "; "))
	}
	return addressDomain(from), nil
}

// MessageID returns the Message-ID of (job, period, rcpt):
// <first 32 hex digits of sha256(job|period|rcpt)@domain>. It is the same
// on every attempt and every run, so a repeated mail can be recognised. A
// resend (Deliver with resend) carries ResendMessageID instead.
func MessageID(job, period, rcpt, domain string) string {
	return messageID(job+"|"+period+"|"+rcpt, domain)
}

// ResendMessageID returns the Message-ID of the n-th resend of (job, period,
// rcpt): <first 32 hex digits of sha256(job|period|rcpt|resend n)@domain>.
// A resend is meant to arrive, so it differs from the first mail and from
// every other resend, while attempts at the same resend share it. For n < 1
// it is MessageID.
func ResendMessageID(job, period, rcpt, domain string, n int) string {
	if n < 1 {
		return MessageID(job, period, rcpt, domain)
	}
	return messageID(job+"|"+period+"|"+rcpt+"|resend "+strconv.Itoa(n), domain)
}

func messageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:])[:32] + "@" + domain + ">"
}

// withAttachmentData returns a copy of m whose attachments all hold their
// bytes (files are read now, once), and the name and SHA-256 of each.
func (m *Message) withAttachmentData() (*Message, []ledger.SentFile, error) {
	c := *m
	c.Attachments = make([]Attachment, len(m.Attachments))
	files := make([]ledger.SentFile, len(m.Attachments))
	for i, a := range m.Attachments {
		if a.Data == nil {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: attachments[%d]: %w", ErrInvalidMessage, i, err)
			}
			a.Data = data
		}
		sum := sha256.Sum256(a.Data)
		c.Attachments[i] = a
		files[i] = ledger.SentFile{Name: attachmentName(a), SHA256: hex.EncodeToString(sum[:])}
	}
	return &c, files, nil
}
