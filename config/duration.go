package config

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written in the file as a Go duration string:
// "30s", "15m", "1h30m". A bare number is not one: its unit would be a guess.
type Duration struct{ time.Duration }

// UnmarshalText parses a duration string such as "30s".
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf(`%s is not a duration; want a number with a unit, such as "30s", "15m" or "1h30m"`, quote(string(text)))
	}
	d.Duration = v
	return nil
}

// String returns the duration the way it is written in the file, without
// zero minutes or seconds at the end: "15m", "1h", "1h30m", "45s".
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText returns the duration as UnmarshalText reads it, such as "30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
