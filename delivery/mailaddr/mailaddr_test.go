package mailaddr

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // the address; "" when refused
		msg  string // part of the error when refused
	}{
		{in: "directie@example.nl", want: "directie@example.nl"},
		{in: "Directie <directie@example.nl>", want: "directie@example.nl"},
		{in: "ann+kpi@Example.NL", want: "ann+kpi@example.nl"},
		{in: "user@bücher.example", want: "user@bücher.example"},
		{in: "o'brien@example.ie", want: "o'brien@example.ie"},
		{in: "a@x", want: "a@x"},
		{in: `"foo,bar"@x`, msg: `local part "foo,bar" is not a plain dot-atom`},
		{in: `"john..doe"@x`, msg: `local part "john..doe" is not a plain dot-atom`},
		{in: `"a@x> ORCPT=rfc822;b"@x`, msg: "cannot be used as a mail recipient"},
		{in: "user@-corp.example", msg: `domain "-corp.example" is not a host name`},
		{in: "user@corp-.example", msg: `domain "corp-.example" is not a host name`},
		{in: "user@corp_example.com", msg: `domain "corp_example.com" is not a host name`},
		{in: "user@[127.0.0.1]", msg: "address literal"},
		{in: "john..doe@x", msg: "is not an email address"},
		{in: "rapportage", msg: `"rapportage" is not an email address`},
		{in: "a@example.nl, b@example.nl", msg: "is not an email address"},
		{in: "a@x\r\nBcc: b@y", msg: "line break"},
		{in: " ", msg: "is empty"},
		{in: strings.Repeat("a", 250) + "@example.nl", msg: "longer than 254 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Parse(tt.in)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.in, err)
				}
				if a.Address != tt.want {
					t.Fatalf("Parse(%q) = %q, want %q", tt.in, a.Address, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error with %q", tt.in, a.Address, tt.msg)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Parse(%q) error %q, want ErrInvalid with %q", tt.in, err, tt.msg)
			}
		})
	}
}
