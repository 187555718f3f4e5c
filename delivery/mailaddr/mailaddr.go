// Package mailaddr is kpireport's one check of an email address: config
// validation and the mail sender both use it, so that an address that
// validates is one the sender takes.
package mailaddr

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest address RFC 5321 allows on the wire (254 bytes).
const MaxLen = 254

// ErrInvalid is matched (errors.Is) by every error Parse returns.
var ErrInvalid = errors.New("mailaddr: invalid address")

// Error is an address Parse refused; its text names the address and says why,
// such as `"user@-corp.example" cannot be used as a mail recipient: ...`.
type Error struct {
	Address string // as given
	Reason  string // the whole message
	Err     error  // the net/mail error, if any
}

func (e *Error) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func (e *Error) Unwrap() error { return e.Err }

func invalid(s string, cause error, format string, args ...any) error {
	return &Error{Address: s, Reason: fmt.Sprintf(format, args...), Err: cause}
}

// Parse parses one address, "Name <addr>" or "addr", with net/mail, and
// accepts it only if its addr-spec can go on the wire as one mailbox without
// quoting: a dot-atom local part (no quotes, no empty atom such as "a..b")
// and a host name of letters, digits and hyphens (no domain literal such as
// [127.0.0.1], no underscore, no label that starts or ends with a hyphen).
// That rejects CR/LF, angle brackets and quoted local parts such as
// `"a@x> ORCPT=rfc822;b"@x`, so exactly one RCPT is ever sent per address.
// UTF-8 letters are allowed in both parts (RFC 6531/6532). The domain is
// lower-cased; the local part is kept as written.
func Parse(s string) (*mail.Address, error) {
	q := strconv.Quote(s)
	switch {
	case strings.TrimSpace(s) == "":
		return nil, invalid(s, nil, "is empty; want an email address")
	case strings.ContainsAny(s, "\r\n\x00"):
		return nil, invalid(s, nil, "%s contains a line break or NUL", q)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, invalid(s, err, "%s is not an email address: %v", q, err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at < 0 {
		return nil, invalid(s, nil, "%s is not an email address: it has no domain", q)
	}
	local, domain := a.Address[:at], strings.ToLower(a.Address[at+1:])
	refuse := func(why string, args ...any) error {
		return invalid(s, nil, "%s cannot be used as a mail recipient: %s", q, fmt.Sprintf(why, args...))
	}
	switch {
	case len(a.Address) > MaxLen:
		return nil, refuse("it is longer than %d bytes", MaxLen)
	case !isDotAtom(local):
		return nil, refuse("the local part %q is not a plain dot-atom (no quotes, spaces, angle brackets, commas or two dots in a row)", local)
	case strings.HasPrefix(domain, "["):
		return nil, refuse("the domain %q is an address literal; use a host name", domain)
	case !isHostname(domain):
		return nil, refuse("the domain %q is not a host name (letters, digits and hyphens, no label starting or ending with a hyphen)", domain)
	}
	return &mail.Address{Name: a.Name, Address: local + "@" + domain}, nil
}

// Domain returns the domain of an address Parse returned.
func Domain(a *mail.Address) string {
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}

// isDotAtom reports whether s is an RFC 5322 dot-atom (UTF-8 allowed, as in
// RFC 6532).
func isDotAtom(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if r < utf8.RuneSelf && !isAtext(byte(r)) {
				return false
			}
		}
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isHostname reports whether s is a dot-separated host name of letters,
// digits and hyphens (UTF-8 letters allowed for internationalised names).
func isHostname(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			ok := r >= utf8.RuneSelf || r == '-' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
			if !ok {
				return false
			}
		}
	}
	return true
}
