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
	"sort"
	"strconv"
	"strings"
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

// Redactor replaces a password in text by "<secret>", in every form it can
// take when a server echoes it or an output escapes it: as it is; escaped as
// Go's %q and strconv.Quote/QuoteToASCII do, as JSON does (with and without
// its HTML escapes), as HTML does, and each of those escaped once more (a
// quoted error inside a JSON log line); and base64 encoded (standard, raw,
// URL and raw URL alphabets) alone, as AUTH LOGIN sends it, and as the AUTH
// PLAIN string "\x00user\x00password" (also with the user as authorisation
// identity). The zero Redactor, and one for an empty password, change
// nothing.
type Redactor struct {
	forms []string // longest first, so that no form is cut by a shorter one
}

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
		html.EscapeString,
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
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &Redactor{forms: forms}
}

// String returns s with every form of the password replaced by "<secret>".
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

// Error returns err unchanged when its text holds no form of the password,
// else an error with the redacted text. The redacted error does not unwrap:
// the chain below it still holds the password.
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
