package delivery

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"
)

// userAgent names the program in the User-Agent and X-Mailer headers.
const userAgent = "kpireport"

// buildMsg builds rcpt's copy of m: the visible headers show m's To and Cc,
// while the only envelope recipient is rcpt. go-mail takes the envelope
// recipients from its To, Cc and Bcc address headers (Msg.GetRecipients) and
// writes To and Cc but never Bcc, so rcpt goes into the Bcc address header
// and the visible To and Cc are set as preformatted headers.
// maxAttachmentBytes > 0 limits the attachments' total size.
func buildMsg(m *Message, rcpt, messageID string, date time.Time, maxAttachmentBytes int64) (*gomail.Msg, error) {
	to, err := parseAddress(rcpt)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	from, err := parseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(messageID, "<"), ">")
	if id == "" || strings.ContainsAny(id, "<> \t\r\n") || !strings.Contains(id, "@") {
		return nil, fmt.Errorf("%w: message id %q", ErrInvalidMessage, messageID)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, from)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderEnvelopeFrom, &mail.Address{Address: from.Address})
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderBcc, &mail.Address{Address: to.Address})
	visibleTo, visibleCc := addressHeader(m.To), addressHeader(m.Cc)
	if visibleTo == "" && visibleCc == "" {
		visibleTo = "undisclosed-recipients:;"
	}
	if visibleTo != "" {
		msg.SetGenHeaderPreformatted(gomail.Header(gomail.HeaderTo), visibleTo)
	}
	if visibleCc != "" {
		msg.SetGenHeaderPreformatted(gomail.Header(gomail.HeaderCc), visibleCc)
	}
	if len(m.ReplyTo) > 0 {
		var replyTo []*mail.Address
		for i, r := range m.ReplyTo {
			a, err := parseAddress(r)
			if err != nil {
				return nil, fmt.Errorf("reply-to[%d]: %w", i, err)
			}
			replyTo = append(replyTo, a)
		}
		msg.SetAddrHeaderFromMailAddress(gomail.HeaderReplyTo, replyTo...)
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(date)
	msg.SetUserAgent(userAgent)
	// RFC 3834: a machine sent this; vacation responders should stay quiet.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")

	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}

	var total int64
	for i, a := range m.Attachments {
		data := a.Data
		if data == nil {
			// Read the file here: go-mail's AttachFile skips a missing file
			// silently, and a report mail without its report is worse than none.
			fi, err := os.Stat(a.Path)
			if err != nil {
				return nil, fmt.Errorf("%w: attachments[%d]: %w", ErrInvalidMessage, i, err)
			}
			if total += fi.Size(); maxAttachmentBytes > 0 && total > maxAttachmentBytes {
				return nil, fmt.Errorf("%w: attachments[%d] %s brings the total to %d bytes, over the limit of %d",
					ErrAttachmentTooLarge, i, a.Path, total, maxAttachmentBytes)
			}
			if data, err = os.ReadFile(a.Path); err != nil {
				return nil, fmt.Errorf("%w: attachments[%d]: %w", ErrInvalidMessage, i, err)
			}
		} else if total += int64(len(data)); maxAttachmentBytes > 0 && total > maxAttachmentBytes {
			return nil, fmt.Errorf("%w: attachments[%d] %s brings the total to %d bytes, over the limit of %d",
				ErrAttachmentTooLarge, i, attachmentName(a), total, maxAttachmentBytes)
		}
		name, ctype := attachmentName(a), attachmentType(a)
		msg.AttachReadSeeker(name, bytes.NewReader(data), gomail.WithFileContentType(gomail.ContentType(ctype)))
	}
	return msg, nil
}

// addressHeader formats the addresses that parse as a header value, one per
// folded line.
func addressHeader(addrs []string) string {
	var parts []string
	for _, raw := range addrs {
		if a, err := parseAddress(raw); err == nil {
			parts = append(parts, a.String())
		}
	}
	return strings.Join(parts, ",\r\n ")
}

// oneLine joins the lines of s with spaces, so that a header value can
// never start a new header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// attachmentName is the file name a recipient sees: a.Name or the base
// name of a.Path, without control characters.
func attachmentName(a Attachment) string {
	name := a.Name
	if name == "" {
		name = filepath.Base(a.Path)
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name)
}

// extraTypes are content types that the system's MIME table may lack.
var extraTypes = map[string]string{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pdf":  "application/pdf",
	".csv":  "text/csv",
}

func attachmentType(a Attachment) string {
	if a.ContentType != "" {
		return oneLine(a.ContentType)
	}
	ext := strings.ToLower(filepath.Ext(attachmentName(a)))
	if t, ok := extraTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
