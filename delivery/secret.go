package delivery

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
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
