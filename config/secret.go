package config

import (
	"fmt"
	"io"
	"log/slog"
)

// secretText is what a Secret prints as.
const secretText = "<secret>"

// Secret is a value, such as the SMTP password, that must never reach a log,
// an error or a terminal. Every way of printing it (fmt with any verb, text
// and JSON encoding, slog) shows "<secret>"; Reveal returns the value for
// the one place that needs it.
type Secret string

// Reveal returns the secret value. Call it only where the value is used,
// such as when authenticating to the SMTP server.
func (s Secret) Reveal() string { return string(s) }

// String returns "<secret>".
func (s Secret) String() string { return secretText }

// GoString returns "<secret>", for %#v.
func (s Secret) GoString() string { return secretText }

// Format prints "<secret>" for every verb, %x and %q included.
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, secretText) }

// MarshalText returns "<secret>", so encoders that use it (JSON, TOML)
// never write the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(secretText), nil }

// LogValue returns "<secret>", for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(secretText) }
