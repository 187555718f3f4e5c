package delivery

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// redacted is how a Secret prints.
const redacted = "<secret>"

// Secret is a string that never prints: String, GoString, every fmt verb,
// MarshalText (so JSON, TOML, YAML) and slog all give "<secret>". Convert it
// with string(s) where the value is really needed.
type Secret string

// String returns "<secret>".
func (Secret) String() string { return redacted }

// GoString returns "<secret>", also for %#v.
func (Secret) GoString() string { return redacted }

// Format writes "<secret>" for every verb; %q quotes it.
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(redacted))
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// MarshalText returns "<secret>", so encoders never write the value.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalText sets the secret from text, so config decoders can fill it.
func (s *Secret) UnmarshalText(text []byte) error {
	*s = Secret(text)
	return nil
}

// LogValue makes slog log "<secret>".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)

// Redactor removes a password from what an SMTP server said. Redaction
// applies to the server's replies only, never to our own text:
//   - Reply withholds the whole text of a reply to AUTH, of a reply that
//     holds the password in any form it knows, and of every reply when the
//     password is shorter than MinRedactLen characters (replacing a short
//     string everywhere mangles text and shows where the password was); only
//     the reply's code and enhanced code remain.
//   - String replaces every known form of a password of MinRedactLen
//     characters or more by "<secret>"; it changes nothing for a shorter one.
//
// The known forms: as it is; escaped as Go's %q and strconv.QuoteToASCII do,
// as JSON does (with and without its HTML escapes), as Python's repr does
// (backslash doubled), as HTML does (&#34; and &quot;), URL/query encoded,
// with its quotes doubled, and each of the escapes once more (a quoted error
// inside a JSON log line); and base64 encoded (standard, raw, URL and raw URL
// alphabets) alone, as AUTH LOGIN sends it, and as the AUTH PLAIN string
// "\x00user\x00password" (also with the user as authorisation identity).
// The zero Redactor, and one for an empty password, change nothing.
type Redactor struct {
	forms []string // longest first, so that no form is cut by a shorter one
	short bool     // the password is shorter than MinRedactLen
}

// MinRedactLen is the length (in characters) from which a password is
// replaced where it occurs; the text of a reply that may hold a shorter one
// is withheld instead.
const MinRedactLen = 6

// Withheld replaces the text of a server reply that may hold the
// credentials.
const Withheld = "<server text withheld: it may contain the credentials>"

// NewRedactor returns the Redactor of password, whose AUTH user is user.
func NewRedactor(user string, password Secret) *Redactor {
	p := string(password)
	if p == "" {
		return &Redactor{}
	}
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	escapes := []func(string) string{
		func(s string) string { return unquote(strconv.Quote(s)) },
		func(s string) string { return unquote(strconv.QuoteToASCII(s)) },
		func(s string) string { return unquote(jsonString(s, true)) },
		func(s string) string { return unquote(jsonString(s, false)) },
		pythonRepr,
		html.EscapeString,
		htmlNamed,
		url.QueryEscape,
		url.PathEscape,
		func(s string) string { return strings.ReplaceAll(s, `"`, `""`) },
		func(s string) string { return strings.ReplaceAll(s, `'`, `''`) },
	}
	add(p)
	for _, e1 := range escapes {
		once := e1(p)
		add(once)
		for _, e2 := range escapes {
			add(e2(once))
		}
	}
	encodings := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
	for _, plain := range []string{p, "\x00" + user + "\x00" + p, user + "\x00" + user + "\x00" + p} {
		for _, enc := range encodings {
			add(enc.EncodeToString([]byte(plain)))
		}
		// The AUTH PLAIN string itself, escaped as a server may echo it.
		if plain != p {
			for _, e := range escapes {
				add(e(plain))
			}
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &Redactor{forms: forms, short: utf8.RuneCountInString(p) < MinRedactLen}
}

// String returns s with every form of the password replaced by "<secret>",
// when the password has MinRedactLen characters or more; else s unchanged.
func (r *Redactor) String(s string) string {
	if r == nil || r.short {
		return s
	}
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

// Holds says whether s holds the password in one of its known forms.
func (r *Redactor) Holds(s string) bool {
	if r == nil {
		return false
	}
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// enhancedCode matches an RFC 3463 enhanced status code at the start of a
// reply text.
var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// Reply returns the text to show of a server reply with code and text
// (lines joined by "\n"), given whether it answered AUTH: the text quoted
// as net/textproto's errors show it, with
// the password's forms redacted, or, for a reply to AUTH, a reply that holds
// the password in a known form, or any reply when the password is short,
// only the code and enhanced code followed by Withheld.
func (r *Redactor) Reply(code int, text string, auth bool) string {
	if r == nil || len(r.forms) == 0 {
		return fmt.Sprintf("%03d %q", code, text)
	}
	if auth || r.short || r.Holds(text) {
		if e := enhancedCode.FindString(text); e != "" {
			return fmt.Sprintf("%03d %s %s", code, e, Withheld)
		}
		return fmt.Sprintf("%03d %s", code, Withheld)
	}
	return fmt.Sprintf("%03d %q", code, r.String(text))
}

// Error returns err unchanged when its text holds no form of the password,
// else an error with the redacted text. The redacted error does not unwrap:
// the chain below it still holds the password. Like String, it changes
// nothing for a short password: what the server said is withheld by the
// Sender before, see Reply.
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil {
		return err
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return errors.New(red)
	}
	return err
}

// pythonRepr escapes s as Python's repr does inside single quotes: the
// backslash doubled, ' escaped, control characters as \xNN.
func pythonRepr(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\'':
			b.WriteString(`\'`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// htmlNamed escapes s with the named HTML entities (&quot;, &apos;).
func htmlNamed(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// unquote strips the outer quotes of a quoted string.
func unquote(q string) string { return q[1 : len(q)-1] }

// jsonString returns s as a JSON string, with or without the HTML escapes
// (\u003c for <, ...) encoding/json writes by default.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
