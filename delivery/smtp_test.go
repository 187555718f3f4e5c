package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/ledger"
)

func TestSMTPSenderSend(t *testing.T) {
	const rcpt = "a@example.com"
	tests := []struct {
		name      string
		step      step
		timeout   time.Duration
		wantRetry bool
		wantErr   string // substring; "" = success
	}{
		{"accepted", accept, 0, false, ""},
		{"451 is temporary", tempFail, 0, true, "451"},
		{"421 is temporary", busy, 0, true, "421"},
		{"550 is permanent", permFail, 0, false, "550"},
		{"dropped connection is temporary", dropConn, 0, true, "RCPT"},
		{"stall beyond the timeout is temporary", stall(10 * time.Second), 200 * time.Millisecond, true, "timed out after 200ms"},
		{"lost after DATA accepted counts as delivered", lostAfter, 0, false, ""},
		{"dropped before the reply to DATA is temporary", dropBeforeReply, 0, true, "send"},
		{"stall at DATA beyond the timeout is temporary", stallAtData(10 * time.Second), 300 * time.Millisecond, true, "timed out after 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			srv.script(rcpt, tt.step)
			cfg := srv.config()
			if tt.timeout > 0 {
				cfg.Timeout = tt.timeout
			}
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := testMessage([]string{rcpt}, nil, nil)
			start := time.Now()
			retry, err := s.Send(t.Context(), m, rcpt, MessageID(m.Job, m.Period, rcpt, "example.com"))
			if tt.timeout > 0 && time.Since(start) > 5*tt.timeout {
				t.Errorf("Send took %v with a %v timeout", time.Since(start), tt.timeout)
			}
			if retry != tt.wantRetry {
				t.Errorf("retry = %v, want %v (err %v)", retry, tt.wantRetry, err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Send error = %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Send error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestSMTPSenderCancelledContext(t *testing.T) {
	srv := startServer(t)
	srv.script("a@example.com", stall(10*time.Second))
	s, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	m := testMessage([]string{"a@example.com"}, nil, nil)
	retry, err := s.Send(ctx, m, "a@example.com", "<id@example.com>")
	if !retry || !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, %v; want retry and context.Canceled", retry, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v after cancel, want it to stop at once", d)
	}
}

func TestInvalidAddressesNeverReachTheWire(t *testing.T) {
	tests := []struct {
		name string
		addr string
	}{
		{"ORCPT injection in quoted local part", `"a@x.org> ORCPT=rfc822;evil@y.org"@example.com`},
		{"angle bracket injection", "a@example.com> NOTIFY=NEVER <b@example.com"},
		{"CRLF command injection", "a@example.com\r\nRCPT TO:<evil@y.org>"},
		{"bare LF", "a@example.com\nRCPT TO:<evil@y.org>"},
		{"quoted local part with space", `"john doe"@example.com`},
		{"no domain", "reports"},
		{"two addresses", "a@example.com, evil@y.org"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			sender, err := NewSMTPSender(srv.config())
			if err != nil {
				t.Fatal(err)
			}
			d, _, _ := testDeliverer(t, sender)
			m := testMessage([]string{"ok@example.com", tt.addr}, nil, nil)
			rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)

			if cmds := srv.Commands(); !slices.Equal(cmds, []string{"MAIL reports@example.com", "RCPT ok@example.com", "DATA"}) {
				t.Errorf("server saw %q, want one transaction to ok@example.com only", cmds)
			}
			for _, bad := range []string{"ORCPT", "NOTIFY", "evil"} {
				if strings.Contains(srv.Wire(), bad) {
					t.Errorf("%q went on the wire:\n%s", bad, srv.Wire())
				}
			}
			if !slices.Equal(rep.Sent, []string{"ok@example.com"}) {
				t.Errorf("Sent = %v, want ok@example.com", rep.Sent)
			}
			if tt.addr == "" {
				return // an empty entry is no recipient at all
			}
			if !errors.Is(err, ErrUndelivered) || len(rep.Failed) != 1 || rep.Failed[0].Temporary ||
				!errors.Is(rep.Failed[0].Err, ErrInvalidAddress) || rep.Failed[0].Attempts != 1 {
				t.Errorf("Deliver = %+v, %v; want one permanent ErrInvalidAddress failure", rep.Failed, err)
			}
			if row := delivery(t, d.Ledger, m, strings.TrimSpace(tt.addr)); row.Status != ledger.DeliveryFailedPerm {
				t.Errorf("ledger row %+v, want failed-permanent", row)
			}
		})
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in       string
		wantAddr string // "" = rejected
		wantName string
	}{
		{"a@example.com", "a@example.com", ""},
		{"Alice <Alice.B+kpi@Example.COM>", "Alice.B+kpi@example.com", "Alice"},
		{`"Doe, John" <john@example.com>`, "john@example.com", "Doe, John"},
		{"=?utf-8?q?J=C3=BCrgen?= <j@example.de>", "j@example.de", "Jürgen"},
		{"jürgen@exämple.de", "jürgen@exämple.de", ""},
		{`"a@x> ORCPT=rfc822;b"@example.com`, "", ""},
		{"a..b@example.com", "", ""},
		{"a@-example.com", "", ""},
		{"a@[127.0.0.1]", "", ""},
		{"Evil\r\nBcc: x@y.org <a@example.com>", "", ""},
		{"a@example.com, b@example.com", "", ""},
		{strings.Repeat("a", 250) + "@example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := parseAddress(tt.in)
			if tt.wantAddr == "" {
				if !errors.Is(err, ErrInvalidAddress) {
					t.Errorf("parseAddress = %v, %v; want ErrInvalidAddress", a, err)
				}
				return
			}
			if err != nil || a.Address != tt.wantAddr || a.Name != tt.wantName {
				t.Errorf("parseAddress = %+v, %v; want %q %q", a, err, tt.wantName, tt.wantAddr)
			}
		})
	}
}

func TestSubjectCannotAddHeaders(t *testing.T) {
	srv := startServer(t)
	s, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{"a@example.com"}, nil, nil)
	m.Subject = "KPI report\r\nBcc: evil@y.org\r\nX-Injected: yes"
	if _, err := s.Send(t.Context(), m, "a@example.com", "<id@example.com>"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	pm := parseMail(t, msgs[0].Data)
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v, ok := pm.Header[h]; ok {
			t.Errorf("subject injected header %s: %q", h, v)
		}
	}
	if got := pm.Header.Get("Subject"); !strings.HasPrefix(got, "KPI report") || len(pm.Header["Subject"]) != 1 {
		t.Errorf("Subject = %q", pm.Header["Subject"])
	}
	if n := srv.RcptCount("evil@y.org"); n != 0 {
		t.Errorf("evil@y.org got %d RCPTs", n)
	}
}

func TestAttachmentsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	xlsx := make([]byte, 200_000)
	if _, err := rand.Read(xlsx); err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n% not really a pdf\n\x00\x01\x02\xff\r\n.\r\n..\n")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m := testMessage([]string{"a@example.com"}, nil, nil)
	m.Attachments = []Attachment{
		{Path: write("monthly-2026-10.xlsx", xlsx)},
		{Path: write("r.pdf", pdf), Name: "KPI report oktober.pdf"},
		{Path: write("data.bin", []byte("x")), ContentType: "text/plain"},
	}
	srv := startServer(t)
	s, err := NewSMTPSender(srv.config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(t.Context(), m, "a@example.com", "<id@example.com>"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	got := parseMail(t, msgs[0].Data).Parts
	for i := range got[:2] { // mail text has CRLF line ends
		got[i].Body = strings.ReplaceAll(got[i].Body, "\r\n", "\n")
	}
	want := []mimePart{
		{ContentType: "text/plain", Body: m.Text},
		{ContentType: "text/html", Body: m.HTML},
		{ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", FileName: "monthly-2026-10.xlsx", Body: string(xlsx)},
		{ContentType: "application/pdf", FileName: "KPI report oktober.pdf", Body: string(pdf)},
		{ContentType: "text/plain", FileName: "data.bin", Body: "x"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
}

func TestAttachmentLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.pdf")
	if err := os.WriteFile(p, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		limit   int64
		wantErr error
	}{
		{"no limit", 0, nil},
		{"under the limit", 4096, nil},
		{"exactly the limit", 2048, nil},
		{"over the limit", 2047, ErrAttachmentTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			cfg := srv.config()
			cfg.MaxAttachmentBytes = tt.limit
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := testMessage([]string{"a@example.com"}, nil, nil)
			m.Attachments = []Attachment{{Path: p}}
			retry, err := s.Send(t.Context(), m, "a@example.com", "<id@example.com>")
			if !errors.Is(err, tt.wantErr) || (err != nil && retry) {
				t.Fatalf("Send = %v, %v; want %v, no retry", retry, err, tt.wantErr)
			}
			if err != nil && len(srv.Commands()) != 0 {
				t.Errorf("over the limit the server still saw %v: never send without the attachment", srv.Commands())
			}
		})
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	const password = "hunter2-Sup3r-s3cret"
	srv := startServer(t, withAuth("reports", "the-right-one"))
	cfg := srv.config()
	cfg.Username, cfg.Password = "reports", password
	sender, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, _, logs := testDeliverer(t, sender)
	d.Logger.Info("smtp config", "smtp", cfg, "password", cfg.Password)
	m := testMessage([]string{"a@example.com"}, nil, nil)
	rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
	if err == nil || len(rep.Failed) != 1 {
		t.Fatalf("Deliver with a wrong password = %+v, %v; want a failure", rep, err)
	}
	if rep.Failed[0].Temporary {
		t.Errorf("535 authentication failure was retried: %v", rep.Failed[0])
	}
	if !strings.Contains(err.Error(), "535") {
		t.Errorf("error %q does not say why", err)
	}
	row := delivery(t, d.Ledger, m, "a@example.com")
	places := map[string]string{
		"error":           err.Error(),
		"report":          fmt.Sprintf("%v %+v", rep, rep),
		"log":             logs.String(),
		"ledger":          row.LastError,
		"config %v":       fmt.Sprintf("%v", cfg),
		"config %+v":      fmt.Sprintf("%+v", cfg),
		"config %#v":      fmt.Sprintf("%#v", cfg),
		"sender %+v":      fmt.Sprintf("%+v %#v %v", *sender, sender, []any{sender}),
		"password %s":     fmt.Sprintf("%s", cfg.Password),
		"password %q":     fmt.Sprintf("%q", cfg.Password),
		"password %x":     fmt.Sprintf("%x", cfg.Password),
		"password String": cfg.Password.String(),
	}
	for where, text := range places {
		if strings.Contains(text, password) {
			t.Errorf("password in %s: %s", where, text)
		}
	}
	if !strings.Contains(logs.String(), redacted) {
		t.Errorf("log does not show the redacted password: %s", logs.String())
	}

	// With the right password the same server takes the message.
	cfg.Password = "the-right-one"
	good, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Send(t.Context(), m, "a@example.com", "<id@example.com>"); err != nil {
		t.Errorf("Send with the right password: %v", err)
	}
}

func TestTLSModes(t *testing.T) {
	cert, pool := testCert(t)
	tests := []struct {
		name      string
		server    serverOption
		mode      string
		wantErr   bool
		wantRetry bool
	}{
		{"starttls", withStartTLS(cert), TLSStartTLS, false, false},
		{"implicit tls", withImplicitTLS(cert), TLSImplicit, false, false},
		{"starttls required but not offered", nil, TLSStartTLS, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []serverOption
			if tt.server != nil {
				opts = append(opts, tt.server)
			}
			opts = append(opts, withAuth("reports", "pw"))
			srv := startServer(t, opts...)
			cfg := srv.config()
			cfg.TLS, cfg.Username, cfg.Password = tt.mode, "reports", "pw"
			cfg.tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := testMessage([]string{"a@example.com"}, nil, nil)
			retry, err := s.Send(t.Context(), m, "a@example.com", "<id@example.com>")
			if (err != nil) != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("Send = %v, %v; want error %v, retry %v", retry, err, tt.wantErr, tt.wantRetry)
			}
			if !tt.wantErr && len(srv.MessagesTo("a@example.com")) != 1 {
				t.Errorf("server got %d messages", len(srv.Messages()))
			}
			if tt.mode == TLSStartTLS && !tt.wantErr && !strings.Contains(srv.Wire(), "STARTTLS") {
				t.Errorf("no STARTTLS on the wire")
			}
			if tt.wantErr && len(srv.Commands()) != 0 {
				t.Errorf("server saw %v without TLS", srv.Commands())
			}
		})
	}
}

func TestNewSMTPSenderConfig(t *testing.T) {
	tests := []struct {
		name     string
		cfg      SMTPConfig
		wantErr  string // substring naming the field; "" = valid
		wantPort int
	}{
		{"starttls default", SMTPConfig{Host: "smtp.example.com"}, "", 587},
		{"implicit tls", SMTPConfig{Host: "smtp.example.com", TLS: TLSImplicit}, "", 465},
		{"none on localhost", SMTPConfig{Host: "localhost", TLS: TLSNone}, "", 25},
		{"none on ::1", SMTPConfig{Host: "::1", TLS: TLSNone, Port: 2525}, "", 2525},
		{"none on a remote host", SMTPConfig{Host: "smtp.example.com", TLS: TLSNone}, "smtp.tls", 0},
		{"none on a private address", SMTPConfig{Host: "10.0.0.5", TLS: TLSNone}, "smtp.tls", 0},
		{"unknown tls mode", SMTPConfig{Host: "smtp.example.com", TLS: "ssl"}, "smtp.tls", 0},
		{"no host", SMTPConfig{}, "smtp.host", 0},
		{"bad port", SMTPConfig{Host: "smtp.example.com", Port: 70000}, "smtp.port", 0},
		{"password without user", SMTPConfig{Host: "smtp.example.com", Password: "pw"}, "smtp.username", 0},
		{"negative limit", SMTPConfig{Host: "smtp.example.com", MaxAttachmentBytes: -1}, "smtp.max_attachment_bytes", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSMTPSender(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewSMTPSender: %v", err)
				}
				if s.cfg.Port != tt.wantPort || s.cfg.Timeout != DefaultSMTPTimeout {
					t.Errorf("port %d timeout %v, want %d %v", s.cfg.Port, s.cfg.Timeout, tt.wantPort, DefaultSMTPTimeout)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewSMTPSender error = %v, want ErrInvalidConfig naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"greeting 421", &textproto.Error{Code: 421, Msg: "too busy"}, true},
		{"auth 454", fmt.Errorf("SMTP AUTH failed: %w", &textproto.Error{Code: 454, Msg: "try later"}), true},
		{"auth 535", fmt.Errorf("SMTP AUTH failed: %w", &textproto.Error{Code: 535, Msg: "bad credentials"}), false},
		{"greeting 554", &textproto.Error{Code: 554, Msg: "go away"}, false},
		{"dial refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"eof", fmt.Errorf("dial failed: %w", io.EOF), true},
		{"deadline", context.DeadlineExceeded, true},
		{"tls", errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestSecretFormatting(t *testing.T) {
	s := Secret("hunter2")
	type config struct {
		User     string
		Password Secret
	}
	c := config{User: "u", Password: s}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "pw", s, "cfg", c)
	for _, got := range []string{
		s.String(), s.GoString(),
		fmt.Sprint(s), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%X|%d|%10s", s, s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", c, c, c),
		logs.String(),
	} {
		if strings.Contains(got, "hunter2") || strings.Contains(got, hexOf("hunter2")) {
			t.Errorf("secret printed: %s", got)
		}
	}
	if b, _ := s.MarshalText(); string(b) != redacted {
		t.Errorf("MarshalText = %q", b)
	}
	var back Secret
	if err := back.UnmarshalText([]byte("from-config")); err != nil || string(back) != "from-config" {
		t.Errorf("UnmarshalText = %q, %v", string(back), err)
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", []byte(s)) }

// tls = "none" is allowed for exactly the hosts config validation allows it for, so
// that a config that validates never fails when the daemon builds its sender.
func TestNoTLSLoopbackAsConfig(t *testing.T) {
	for _, host := range []string{
		"localhost", "LOCALHOST", "localhost.", "Localhost.", "127.0.0.1", "127.8.9.10", "::1", "[::1]",
		"localhost..", "mail.localhost", "10.0.0.5", "::ffff:10.0.0.1", "smtp.example.com",
	} {
		_, err := NewSMTPSender(SMTPConfig{Host: host, TLS: TLSNone})
		if want := config.IsLoopback(host); (err == nil) != want {
			t.Errorf("NewSMTPSender(host %q, tls none) = %v; config.IsLoopback = %v", host, err, want)
		}
	}

	// And it sends there: localhost. is the local server.
	srv := startServer(t)
	cfg := srv.config()
	cfg.Host = "localhost."
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{"a@example.com"}, nil, nil)
	if _, err := s.Send(t.Context(), m, "a@example.com", MessageID(m.Job, m.Period, "a@example.com", "example.com")); err != nil {
		t.Fatalf("send to localhost.: %v", err)
	}
	if n := len(srv.MessagesTo("a@example.com")); n != 1 {
		t.Errorf("the server got %d messages, want 1", n)
	}
}
