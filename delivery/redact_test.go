package delivery

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
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

// F16: a server that answers AUTH with a 535 echoing the AUTH PLAIN string
// it got, in the escapes servers and their libraries use: nothing of the
// password reaches the error, the JSON log or the ledger; the reply keeps
// its code and enhanced code, its text is withheld.
func TestAuthEchoWithheld(t *testing.T) {
	const user, pass = "rapport@example.nl", `pa"ss&w0rd<x\y`
	pyRepr := func(s string) string { // Python repr: backslash doubled, NUL as \x00
		s = strings.ReplaceAll(s, `\`, `\\`)
		return "'" + strings.ReplaceAll(s, "\x00", `\x00`) + "'"
	}
	echoes := map[string]func(string) string{
		"python repr":   pyRepr,
		"url":           url.QueryEscape,
		"url path":      url.PathEscape,
		"html named":    func(s string) string { return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;").Replace(s) },
		"html":          html.EscapeString,
		"doubled quote": func(s string) string { return strings.ReplaceAll(s, `"`, `""`) },
		"raw":           func(s string) string { return strings.ReplaceAll(s, "\x00", " ") },
		"base64":        func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"nothing":       func(string) string { return "authentication failed" },
	}
	for name, echo := range echoes {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t, withAuthEcho(user, pass, echo))
			cfg := srv.config()
			cfg.Username, cfg.Password = user, pass
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			d, _, logs := testDeliverer(t, s)
			m := testMessage([]string{"a@example.com"}, nil, nil)
			_, err = d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
			if err == nil {
				t.Fatal("Deliver succeeded; want the 535")
			}
			row := delivery(t, d.Ledger, m, "a@example.com")
			for where, text := range map[string]string{"error": err.Error(), "JSON log": logs.String(), "ledger": row.LastError} {
				for _, leak := range []string{"w0rd", "w0r", "pa%22", "ss&amp;", `ss\\`, "cGFz", "c3M", "authentication failed"} {
					if strings.Contains(text, leak) {
						t.Errorf("%s holds %q: %s", where, leak, text)
					}
				}
				if !strings.Contains(text, "535 5.7.8 "+Withheld) {
					t.Errorf("%s lacks %q: %s", where, "535 5.7.8 "+Withheld, text)
				}
				if !strings.Contains(text, "a@example.com") {
					t.Errorf("%s lost our own text (the recipient): %s", where, text)
				}
			}
		})
	}
}

// F19: a short password is never replaced in our own text (where it would
// mangle "example" and show where the password is); the text of the
// server's refusal is withheld instead, its code kept.
func TestShortPasswordOwnTextIntact(t *testing.T) {
	srv := startServer(t, withAuth("reports", "x"))
	srv.script("a@example.com", step{code: 550})
	cfg := srv.config()
	cfg.Username, cfg.Password = "reports", "x"
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, _, logs := testDeliverer(t, s)
	m := testMessage([]string{"a@example.com"}, nil, nil)
	_, err = d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
	if err == nil {
		t.Fatal("Deliver succeeded; want the 550")
	}
	row := delivery(t, d.Ledger, m, "a@example.com")
	for where, text := range map[string]string{"error": err.Error(), "JSON log": logs.String(), "ledger": row.LastError} {
		if strings.Contains(text, redacted) || !strings.Contains(text, "a@example.com") {
			t.Errorf("%s mangles our text with %s: %s", where, redacted, text)
		}
		if strings.Contains(text, "scripted 550") || !strings.Contains(text, "550 5.0.0 "+Withheld) {
			t.Errorf("%s: want the 550's text withheld: %s", where, text)
		}
	}
	if got := NewRedactor("u", "x").String("example"); got != "example" {
		t.Errorf("String of a short password = %q, want the text unchanged", got)
	}
}
