package e2e

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The SMTP credentials of TestSecrets; the password is distinctive, so that any
// trace of it in an output is found, and holds characters that every output
// escapes differently (Go and JSON quoting, HTML).
const (
	smtpUser     = "reports@voorbeeld.example"
	smtpPassword = `Kp1"e2e<Zq7>&xW9\s3cr3t'v4lue`
	passwordEnv  = "KPIREPORT_SMTP_PASSWORD"
	operator     = "ops@voorbeeld.example"
)

// leaks returns the forms of the password that must never be shown: the password
// itself, escaped as Go (%q), JSON and HTML do, and the base64 it travels in with
// AUTH PLAIN and LOGIN. A part of the password that no escape changes is enough to
// find an escaped form, whatever the escape.
func leaks() []string {
	plain := "\x00" + smtpUser + "\x00" + smtpPassword
	return []string{
		smtpPassword,
		strconv.Quote(smtpPassword),
		"e2e<Zq7>", "e2e\\u003cZq7", "e2e&lt;Zq7", "s3cr3t", // escaped forms keep these
		base64.StdEncoding.EncodeToString([]byte(smtpPassword)),
		base64.StdEncoding.EncodeToString([]byte(plain)),
		base64.RawStdEncoding.EncodeToString([]byte(plain)),
		base64.URLEncoding.EncodeToString([]byte(plain)),
	}
}

// checkNoPassword fails when text, shown as what, holds the password.
func checkNoPassword(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range leaks() {
		if strings.Contains(text, s) {
			t.Errorf("the SMTP password (%q) appears in %s:\n%s", s, what, text)
		}
	}
}

// TestSecrets runs kpireport with an SMTP password in the environment against a
// server that accepts it, refuses it, or echoes it back in its replies, and checks
// that the password never appears in stdout, stderr (logs and errors, at debug
// level), `history`, an operator's failure notice or the ledger file.
func TestSecrets(t *testing.T) {
	t.Parallel()
	env := []string{passwordEnv + "=" + smtpPassword}
	authFailed := func(msg string) error {
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: msg}
	}
	checkCredentials := func(user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return authFailed("credentials invalid")
		}
		return nil
	}
	// The escapes servers and their libraries use when they echo what they
	// got (F16): Python's repr (backslash doubled), URL and query encoding,
	// HTML's named entities, SQL's doubled quotes.
	escaped := func(user, pass string) string {
		plain := "\x00" + user + "\x00" + pass
		py := "'" + strings.ReplaceAll(strings.ReplaceAll(plain, `\`, `\\`), "\x00", `\x00`) + "'"
		htmlNamed := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(pass)
		return fmt.Sprintf("py=%s url=%s path=%s html=%s sq=%s", py, url.QueryEscape(pass), url.PathEscape(pass),
			htmlNamed, strings.ReplaceAll(pass, `"`, `""`))
	}
	tests := []struct {
		name      string
		auth      func(user, pass string) error
		rcpt      func(rcpt, user, pass string) error
		wantCode  int
		wantErr   string // in stderr
		wantSent  int    // report messages received
		wantNotes int    // failure notices received by the operator
		jsonLogs  bool   // [log] format = "json"
		temporary bool   // the refusal is temporary: the daemon retries it
	}{
		{
			name: "accepted", auth: checkCredentials, wantCode: 0, wantSent: 3,
		},
		{
			name:     "refused with 535",
			auth:     func(string, string) error { return authFailed("credentials invalid") },
			wantCode: 1, wantErr: "535",
		},
		{
			name: "refused with a 535 that echoes the password",
			auth: func(user, pass string) error {
				return authFailed(fmt.Sprintf("credentials invalid for %s:%s", user, pass))
			},
			wantCode: 1, wantErr: "535",
		},
		{
			name:     "refused with a 535 that echoes the AUTH string escaped",
			auth:     func(user, pass string) error { return authFailed(escaped(user, pass)) },
			wantCode: 1, wantErr: "535 5.7.8 <server text withheld: it may contain the credentials>",
		},
		{
			name: "recipients refused with a 550 that echoes the password escaped, operator notified",
			auth: checkCredentials,
			rcpt: func(rcpt, user, pass string) error {
				if rcpt == operator {
					return nil
				}
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: escaped(user, pass)}
			},
			jsonLogs: true,
			wantCode: 1, wantErr: "550 5.1.1 <server text withheld: it may contain the credentials>", wantNotes: 1,
		},
		{
			name: "recipients refused with a 550 that echoes the password, operator notified",
			auth: checkCredentials,
			rcpt: func(rcpt, user, pass string) error {
				if rcpt == operator {
					return nil
				}
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
					Message: fmt.Sprintf("no mailbox %s here (you are %s, password %s)", rcpt, user, pass)}
			},
			wantCode: 1, wantErr: "550", wantNotes: 1,
		},
		{
			name: "recipients refused with replies that echo the password quoted and the AUTH PLAIN base64, JSON logs",
			auth: checkCredentials,
			rcpt: func(rcpt, user, pass string) error {
				if rcpt == operator {
					return nil
				}
				plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0},
					Message: fmt.Sprintf("mailbox %s busy (password %q, auth %s, raw %s)", rcpt, pass, plain, pass)}
			},
			// 451: the deliveries stay owed, so the daemon resumes them at start and
			// logs the echoing replies as JSON.
			jsonLogs: true, temporary: true,
			wantCode: 1, wantErr: "451", wantNotes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startMailServer(t, func(ms *mailServer) { ms.Auth, ms.Rcpt = tt.auth, tt.rcpt })
			cfg := demoCompany(t, "csv")
			useSMTP(t, cfg, srv.Port,
				fmt.Sprintf("username = %q\npassword_env = %q\n", smtpUser, passwordEnv),
				fmt.Sprintf("operators = [%q]\n", operator))
			if tt.jsonLogs {
				appendConfig(t, cfg, "\n[log]\nformat = \"json\"\n")
			}
			if b, _ := os.ReadFile(cfg); strings.Contains(string(b), smtpPassword) {
				t.Fatal("the test wrote the password into the config")
			}

			res := kpireport(t, env, "validate", "--config", cfg, "--verbose")
			if res.code != 0 {
				t.Errorf("validate: want exit 0, got %s", res)
			}
			checkNoPassword(t, "the output of validate", res.stdout+res.stderr)

			res = kpireport(t, env, generateSend(cfg, "--verbose")...)
			if res.code != tt.wantCode {
				t.Errorf("generate --send: want exit %d, got %s", tt.wantCode, res)
			}
			if tt.wantErr != "" && !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("generate --send: stderr does not give the server's reply %s:\n%s", tt.wantErr, res.stderr)
			}
			checkNoPassword(t, "the output of generate --send", res.stdout+res.stderr)

			var sent, notes int
			for _, m := range srv.Messages() {
				if len(m.Rcpts) == 1 && m.Rcpts[0] == operator {
					notes++
					checkNoPassword(t, "the operator's failure notice", string(m.Data))
					checkNoPassword(t, "the operator's failure notice as read", mailText(t, m.Data))
					if !strings.Contains(string(m.Data), "failed") {
						t.Errorf("the operator's notice does not say the run failed:\n%s", m.Data)
					}
					continue
				}
				sent++
			}
			if sent != tt.wantSent || notes != tt.wantNotes {
				t.Errorf("the server got %d reports and %d failure notices, want %d and %d", sent, notes, tt.wantSent, tt.wantNotes)
			}

			// A refused AUTH or RCPT is permanent: one attempt, no retry.
			if tt.wantCode != 0 && !tt.temporary {
				for _, d := range historyOf(t, env, cfg).Deliveries {
					if d.Status != "failed-permanent" || d.Attempts != 1 {
						t.Errorf("history: want failed-permanent after 1 attempt: %s", d.Line)
					}
				}
			}

			for _, args := range [][]string{
				{"history", "--config", cfg},
				{"history", "--config", cfg, "--job", "monthly", "--limit", "0"},
			} {
				res := mustRun(t, env, args...)
				if tt.wantErr != "" && !strings.Contains(res.stdout, tt.wantErr) {
					t.Errorf("%s does not show the delivery error %s:\n%s", strings.Join(args, " "), tt.wantErr, res.stdout)
				}
				checkNoPassword(t, "the output of "+strings.Join(args, " "), res.stdout+res.stderr)
			}

			// The daemon logs its start and schedule at debug level, then stops.
			d := startKpireport(t, env, "run", "--config", cfg, "--verbose")
			eventually(t, 10*time.Second, "the daemon to log its schedule", func() bool {
				return strings.Contains(d.stderr.String(), "scheduled")
			})
			if tt.temporary {
				eventually(t, 20*time.Second, "the daemon to log the resumed delivery's reply", func() bool {
					return strings.Contains(d.stderr.String(), `"msg":"delivery attempt"`) && strings.Contains(d.stderr.String(), "451")
				})
			}
			res = d.stop(t, syscall.SIGTERM, 15*time.Second)
			if res.code != 0 {
				t.Errorf("run: want exit 0 after SIGTERM, got %s", res)
			}
			checkNoPassword(t, "the daemon's log", res.stdout+res.stderr)

			files, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "kpireport-state.db*"))
			if len(files) == 0 {
				t.Error("no ledger file")
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				checkNoPassword(t, "the ledger file "+filepath.Base(f), string(b))
			}
		})
	}

	t.Run("config errors", func(t *testing.T) {
		t.Parallel()
		cfg := demoCompany(t, "csv")
		editConfig(t, cfg, "[delivery]\nmode = \"outbox\"\n", fmt.Sprintf(
			"[smtp]\nhost = \"smtp.example.org\"\ntls = \"none\"\nfrom = \"reports\"\nusername = %q\npassword_env = %q\n\n"+
				"[delivery]\nmode = \"smtp\"\n", smtpUser, passwordEnv))
		for _, cmd := range []string{"validate", "generate", "kpis"} {
			res := kpireport(t, env, cmd, "--config", cfg, "--job", "monthly", "--verbose")
			if cmd == "validate" {
				res = kpireport(t, env, cmd, "--config", cfg, "--verbose")
			}
			if res.code != 1 || !strings.Contains(res.stderr, "smtp.tls") {
				t.Errorf("%s: want exit 1 naming smtp.tls, got %s", cmd, res)
			}
			checkNoPassword(t, "the output of "+cmd, res.stdout+res.stderr)
		}
	})
}

// F19: a one-character password is never replaced in our own text (it would
// turn "example" into "e<secret>ample" and show where the password is); the
// text of the server's refusal is withheld instead, in stderr, history and
// the operator's notice alike.
func TestShortPasswordNotReplaced(t *testing.T) {
	t.Parallel()
	env := []string{passwordEnv + "=x"}
	srv := startMailServer(t, func(ms *mailServer) {
		ms.Auth = func(string, string) error { return nil }
		ms.Rcpt = func(rcpt, _, _ string) error {
			if rcpt == operator {
				return nil
			}
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
		}
	})
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port,
		fmt.Sprintf("username = %q\npassword_env = %q\n", smtpUser, passwordEnv),
		fmt.Sprintf("operators = [%q]\n", operator))
	res := kpireport(t, env, generateSend(cfg)...)
	if res.code != 1 {
		t.Fatalf("generate --send: want exit 1, got %s", res)
	}
	outputs := map[string]string{"generate --send": res.stderr}
	outputs["history"] = mustRun(t, env, "history", "--config", cfg).stdout
	for _, m := range srv.Messages() {
		if len(m.Rcpts) == 1 && m.Rcpts[0] == operator {
			outputs["the operator's notice"] = mailText(t, m.Data)
		}
	}
	if len(outputs) != 3 {
		t.Fatalf("no operator notice received")
	}
	for what, text := range outputs {
		if strings.Contains(text, "<secret>") || !strings.Contains(text, "example") {
			t.Errorf("%s replaces the short password in our own text:\n%s", what, text)
		}
		if strings.Contains(text, "mailbox unavailable") || !strings.Contains(text, "550 5.1.1 <server text withheld") {
			t.Errorf("%s: want the 550's text withheld, its code kept:\n%s", what, text)
		}
	}
}
