package delivery

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	const user, pass = "reports@example.nl", `p"a<s>&s\w'rd`
	plain := "\x00" + user + "\x00" + pass
	jsonNoHTML := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return strings.TrimSpace(b.String())
	}
	jsonHTML, _ := json.Marshal(pass)
	forms := map[string]string{
		"as is":                pass,
		"%q":                   fmt.Sprintf("%q", pass),
		"QuoteToASCII":         strconv.QuoteToASCII(pass),
		"JSON":                 string(jsonHTML),
		"JSON without HTML":    jsonNoHTML(pass),
		"HTML":                 html.EscapeString(pass),
		"%q in JSON":           jsonNoHTML(fmt.Sprintf("%q", pass)),
		"base64 LOGIN":         base64.StdEncoding.EncodeToString([]byte(pass)),
		"base64 PLAIN":         base64.StdEncoding.EncodeToString([]byte(plain)),
		"raw base64 PLAIN":     base64.RawStdEncoding.EncodeToString([]byte(plain)),
		"URL base64 PLAIN":     base64.URLEncoding.EncodeToString([]byte(plain)),
		"raw URL base64 PLAIN": base64.RawURLEncoding.EncodeToString([]byte(plain)),
		"base64 PLAIN authzid": base64.StdEncoding.EncodeToString([]byte(user + plain)),
	}
	r := NewRedactor(user, Secret(pass))
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			reply := "535 5.7.8 bad credentials " + form + " for " + user
			got := r.String(reply)
			if strings.Contains(got, form) || strings.Contains(got, "s\\w") || strings.Contains(got, "a<s") {
				t.Fatalf("String(%q) = %q, still holds the password", reply, got)
			}
			if !strings.Contains(got, redacted) || !strings.HasSuffix(got, " for "+user) {
				t.Errorf("String(%q) = %q, want the password replaced by %s and the rest kept", reply, got, redacted)
			}
			err := r.Error(fmt.Errorf("smtp: %w", errors.New(reply)))
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Error("delivery attempt", "err", err.Error())
			slog.New(slog.NewTextHandler(&b, nil)).Error("delivery attempt", "err", err.Error())
			if strings.Contains(b.String(), "s3") || strings.Contains(b.String(), `w'rd`) || strings.Contains(b.String(), "a\\u003cs") {
				t.Errorf("a log of the redacted error holds the password:\n%s", b.String())
			}
		})
	}
	if got := NewRedactor(user, "").String("nothing " + pass); got != "nothing "+pass {
		t.Errorf("the Redactor of an empty password changed the text: %q", got)
	}
	var nilR *Redactor
	if err := nilR.Error(errors.New("x")); err.Error() != "x" {
		t.Errorf("a nil Redactor changed an error: %v", err)
	}
}
