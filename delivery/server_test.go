package delivery

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// step is what the test server does at one RCPT for a recipient. The zero
// step accepts.
type step struct {
	code          int           // reply with this code (4xx, 5xx) instead of 250
	drop          bool          // close the connection instead of replying
	stall         time.Duration // wait this long before replying
	dropAfterData bool          // accept the message, then close before RSET/QUIT
	faults                      // the scripted faults of faults_test.go
}

// Shorthands for scripts.
var (
	accept    = step{}
	tempFail  = step{code: 451}
	busy      = step{code: 421}
	permFail  = step{code: 550}
	dropConn  = step{drop: true}
	lostAfter = step{dropAfterData: true}
)

func stall(d time.Duration) step { return step{stall: d} }

// received is one message the test server accepted.
type received struct {
	From  string
	Rcpts []string
	Data  []byte
}

// testServer is an in-process SMTP server on 127.0.0.1 that follows a
// script per recipient and records every MAIL, RCPT and DATA.
type testServer struct {
	host string
	port int

	user, pass string // when set, AUTH PLAIN is required
	// authEcho, when set, refuses every AUTH with a 535 5.7.8 whose text is
	// authEcho of the AUTH PLAIN string the server got.
	authEcho func(plain string) string

	greetingStall time.Duration // wait before the greeting (withGreetingStall)

	mu       sync.Mutex
	scripts  map[string][]step // per recipient, consumed one step per RCPT
	commands []string          // "MAIL a@x", "RCPT b@y", "DATA"
	messages []received
	wire     bytes.Buffer // the raw protocol, both ways

	done chan struct{}
}

type serverOption func(*testServer, *smtp.Server, *net.Listener)

// withAuth makes the server require AUTH PLAIN with user and pass.
func withAuth(user, pass string) serverOption {
	return func(ts *testServer, _ *smtp.Server, _ *net.Listener) { ts.user, ts.pass = user, pass }
}

// withAuthEcho makes the server require AUTH PLAIN and refuse it with a 535
// whose text is echo of the AUTH PLAIN string it got.
func withAuthEcho(user, pass string, echo func(plain string) string) serverOption {
	return func(ts *testServer, _ *smtp.Server, _ *net.Listener) {
		ts.user, ts.pass, ts.authEcho = user, pass, echo
	}
}

// withStartTLS offers STARTTLS with cert.
func withStartTLS(cert tls.Certificate) serverOption {
	return func(_ *testServer, s *smtp.Server, _ *net.Listener) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
}

// withImplicitTLS speaks TLS from the first byte with cert.
func withImplicitTLS(cert tls.Certificate) serverOption {
	return func(_ *testServer, _ *smtp.Server, ln *net.Listener) {
		*ln = tls.NewListener(*ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
}

func startServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	ts := &testServer{scripts: map[string][]step{}, done: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ts.host, ts.port = addr.IP.String(), addr.Port

	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{ts: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.Debug = lockedWriter{&ts.mu, &ts.wire}
	for _, o := range opts {
		o(ts, s, &ln)
	}
	ln = ts.stallingListener(ln)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		close(ts.done)
		_ = s.Close()
		_ = ln.Close() // in case Serve had not registered it yet
		<-served
	})
	return ts
}

// script sets what the server does at the next RCPTs of rcpt; after the
// script runs out it accepts.
func (ts *testServer) script(rcpt string, steps ...step) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.scripts[rcpt] = append(ts.scripts[rcpt], steps...)
}

func (ts *testServer) next(rcpt string) step {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s := ts.scripts[rcpt]
	if len(s) == 0 {
		return accept
	}
	ts.scripts[rcpt] = s[1:]
	return s[0]
}

func (ts *testServer) record(cmd string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.commands = append(ts.commands, cmd)
}

// Commands returns the MAIL, RCPT and DATA commands seen so far.
func (ts *testServer) Commands() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.commands...)
}

// Messages returns the messages accepted so far.
func (ts *testServer) Messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.messages...)
}

// MessagesTo returns the accepted messages whose envelope holds rcpt.
func (ts *testServer) MessagesTo(rcpt string) []received {
	var out []received
	for _, m := range ts.Messages() {
		for _, r := range m.Rcpts {
			if r == rcpt {
				out = append(out, m)
			}
		}
	}
	return out
}

// RcptCount returns how many RCPT commands named rcpt.
func (ts *testServer) RcptCount(rcpt string) int {
	n := 0
	for _, c := range ts.Commands() {
		if c == "RCPT "+rcpt {
			n++
		}
	}
	return n
}

// Wire returns the raw protocol seen so far.
func (ts *testServer) Wire() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.wire.String()
}

func (ts *testServer) config() SMTPConfig {
	return SMTPConfig{Host: ts.host, Port: ts.port, TLS: TLSNone, Timeout: 5 * time.Second, HeloName: "client.test"}
}

type testSession struct {
	ts            *testServer
	conn          *smtp.Conn
	authed        bool
	from          string
	rcpts         []string
	dropAfterData bool
	closeOnReset  bool
	dataFaults    faults // of this transaction's recipients
}

var _ smtp.AuthSession = (*testSession)(nil)

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(ident, user, pass string) error {
		if s.ts.authEcho != nil {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
				Message: s.ts.authEcho(ident + "\x00" + user + "\x00" + pass)}
		}
		if user != s.ts.user || pass != s.ts.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.ts.record("MAIL " + from)
	if s.ts.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.record("RCPT " + to)
	st := s.ts.next(to)
	if st.stall > 0 {
		select {
		case <-time.After(st.stall):
		case <-s.ts.done:
		}
	}
	switch {
	case st.echo:
		return s.echoPassword(st.code)
	case st.drop:
		_ = s.conn.Conn().Close()
		return errors.New("connection dropped by script")
	case st.code != 0:
		return &smtp.SMTPError{Code: st.code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "scripted " + strconv.Itoa(st.code)}
	}
	s.rcpts = append(s.rcpts, to)
	s.dropAfterData = s.dropAfterData || st.dropAfterData
	s.dataFaults = s.dataFaults.merge(st.faults)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	s.ts.record("DATA")
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	s.ts.messages = append(s.ts.messages, received{From: s.from, Rcpts: append([]string(nil), s.rcpts...), Data: b})
	s.ts.mu.Unlock()
	s.closeOnReset = s.dropAfterData
	return s.afterData()
}

// Reset runs after the reply to DATA has been written, and on RSET.
func (s *testSession) Reset() {
	if s.closeOnReset {
		_ = s.conn.Conn().Close()
	}
	s.from, s.rcpts, s.dropAfterData, s.closeOnReset, s.dataFaults = "", nil, false, false, faults{}
}

func (s *testSession) Logout() error { return nil }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// testCert returns a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtp.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
