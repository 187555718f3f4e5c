package delivery

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// maxAddressLen is the longest forward-path RFC 5321 allows (254 + brackets).
const maxAddressLen = 254

// parseAddress parses one address, "Name <addr>" or "addr", with net/mail,
// and accepts it only if its addr-spec can go on the wire as one mailbox
// without quoting: a dot-atom local part and a host name. That rejects
// CR/LF, angle brackets and quoted local parts such as
// `"a@x> ORCPT=rfc822;b"@x`, so exactly one RCPT is ever sent per address.
// The domain is lower-cased; the local part is kept as written.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return nil, fmt.Errorf("%w: %q contains a line break or NUL", ErrInvalidAddress, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidAddress, s, err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at < 0 {
		return nil, fmt.Errorf("%w: %q has no domain", ErrInvalidAddress, s)
	}
	local, domain := a.Address[:at], strings.ToLower(a.Address[at+1:])
	switch {
	case len(a.Address) > maxAddressLen:
		return nil, fmt.Errorf("%w: %q is longer than %d bytes", ErrInvalidAddress, s, maxAddressLen)
	case !isDotAtom(local):
		return nil, fmt.Errorf("%w: %q: local part %q is not a plain dot-atom", ErrInvalidAddress, s, local)
	case !isHostname(domain):
		return nil, fmt.Errorf("%w: %q: domain %q is not a host name", ErrInvalidAddress, s, domain)
	}
	return &mail.Address{Name: a.Name, Address: local + "@" + domain}, nil
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

// addressDomain returns the domain of a parsed address.
func addressDomain(a *mail.Address) string {
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}
