package e2e

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test server took: the whole DATA arrived.
type received struct {
	From  string
	Rcpts []string
	Data  []byte
}

// MessageID returns the message's Message-ID header.
func (r received) MessageID(t *testing.T) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("message to %v does not parse: %v", r.Rcpts, err)
	}
	return m.Header.Get("Message-Id")
}

// hold is a point where the test server stops and waits: at a connection, or inside
// DATA once the whole message has arrived but before the reply.
type hold struct {
	reached     chan struct{} // closed when the server got there
	released    chan struct{} // closed to let it go on
	reachOnce   sync.Once
	releaseOnce sync.Once
}

func newHold() *hold { return &hold{reached: make(chan struct{}), released: make(chan struct{})} }

func (h *hold) reach() { h.reachOnce.Do(func() { close(h.reached) }) }

// release lets the server go on; it may be called more than once.
func (h *hold) release() { h.releaseOnce.Do(func() { close(h.released) }) }

// wait waits until the server reached the hold.
func (h *hold) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.reached:
	case <-time.After(20 * time.Second):
		t.Fatalf("the server never reached the hold %s", what)
	}
}

// mailServer is an in-process SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 without TLS. It records every message it takes and can be told to hold a
// connection or a DATA, to require AUTH PLAIN, and to refuse AUTH or RCPT.
type mailServer struct {
	Port int

	// Auth, when set, offers AUTH PLAIN and decides it; nil: no AUTH offered.
	Auth func(user, pass string) error
	// Rcpt, when set, may refuse a recipient; user and pass are those of the
	// session's AUTH.
	Rcpt func(rcpt, user, pass string) error

	mu          sync.Mutex
	messages    []received
	holdConn    *hold            // the next connection waits here
	holdData    map[string]*hold // the next DATA for this envelope recipient waits here
	holds       []*hold
	connections int
}

// startMailServer starts a server; it stops at the end of the test.
func startMailServer(t *testing.T, configure func(*mailServer)) *mailServer {
	t.Helper()
	ms := &mailServer{holdData: map[string]*hold{}}
	if configure != nil {
		configure(ms)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.Port = ln.Addr().(*net.TCPAddr).Port
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{ms: ms}, nil
	}))
	s.Domain = "mx.test"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxMessageBytes = 50 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(holdListener{ln, ms})
	}()
	t.Cleanup(func() {
		ms.mu.Lock()
		for _, h := range ms.holds {
			h.release()
		}
		ms.mu.Unlock()
		_ = s.Close()
		<-served
	})
	return ms
}

// HoldConnect makes the next connection wait, before the server's greeting, until
// the hold is released.
func (ms *mailServer) HoldConnect() *hold {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	h := newHold()
	ms.holdConn = h
	ms.holds = append(ms.holds, h)
	return h
}

// HoldData makes the next DATA to rcpt wait after the whole message arrived (it
// counts as received) and before the server answers, until the hold is released.
func (ms *mailServer) HoldData(rcpt string) *hold {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	h := newHold()
	ms.holdData[rcpt] = h
	ms.holds = append(ms.holds, h)
	return h
}

// Messages returns the messages received so far.
func (ms *mailServer) Messages() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.messages...)
}

// MessagesTo returns the messages received so far whose envelope holds rcpt.
func (ms *mailServer) MessagesTo(rcpt string) []received {
	var out []received
	for _, m := range ms.Messages() {
		for _, r := range m.Rcpts {
			if r == rcpt {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Connections returns how many connections the server accepted.
func (ms *mailServer) Connections() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.connections
}

// holdListener holds a new connection when the server was told to.
type holdListener struct {
	net.Listener
	ms *mailServer
}

func (l holdListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	l.ms.mu.Lock()
	l.ms.connections++
	h := l.ms.holdConn
	l.ms.holdConn = nil
	l.ms.mu.Unlock()
	if h != nil {
		h.reach()
		<-h.released
	}
	return c, nil
}

type mailSession struct {
	ms         *mailServer
	user, pass string
	authed     bool
	from       string
	rcpts      []string
}

var _ smtp.AuthSession = (*mailSession)(nil)

func (s *mailSession) AuthMechanisms() []string {
	if s.ms.Auth == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mailSession) Auth(string) (sasl.Server, error) {
	if s.ms.Auth == nil {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if err := s.ms.Auth(user, pass); err != nil {
			return err
		}
		s.user, s.pass, s.authed = user, pass, true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.Auth != nil && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ms.Rcpt != nil {
		if err := s.ms.Rcpt(to, s.user, s.pass); err != nil {
			return err
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.rcpts) == 0 {
		return errors.New("no recipients")
	}
	s.ms.mu.Lock()
	s.ms.messages = append(s.ms.messages, received{From: s.from, Rcpts: append([]string(nil), s.rcpts...), Data: b})
	var h *hold
	for _, r := range s.rcpts {
		if h = s.ms.holdData[r]; h != nil {
			delete(s.ms.holdData, r)
			break
		}
	}
	s.ms.mu.Unlock()
	if h != nil {
		h.reach()
		<-h.released
	}
	return nil
}

func (s *mailSession) Reset() { s.from, s.rcpts = "", nil }

func (s *mailSession) Logout() error { return nil }
