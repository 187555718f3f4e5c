package delivery

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kpireport/kpireport/ledger"
)

// faults are the test server's scripted faults beyond a reply code: a stall at
// the greeting (a server option) or at DATA, a connection dropped before the
// reply to DATA, and a reply that echoes the AUTH password.
type faults struct {
	stallData  time.Duration // at DATA: wait this long after the message arrived, before the reply
	dropInData bool          // at DATA: take the message, then close without a reply
	echo       bool          // at RCPT: refuse with step.code, echoing the password
}

func (f faults) merge(g faults) faults {
	return faults{stallData: max(f.stallData, g.stallData), dropInData: f.dropInData || g.dropInData, echo: f.echo || g.echo}
}

// Shorthands for scripts.
var (
	// dropBeforeReply takes the whole message, then closes the connection
	// before the final 250: the server has the message, the client cannot know.
	dropBeforeReply = step{faults: faults{dropInData: true}}
	// echoPassword refuses the recipient with a 550 whose text holds the AUTH
	// password as it is, %q-quoted and as the base64 of the AUTH PLAIN string.
	echoPassword = step{code: 550, faults: faults{echo: true}}
)

// stallAtData waits d after the message arrived, before the reply to DATA.
func stallAtData(d time.Duration) step { return step{faults: faults{stallData: d}} }

// withGreetingStall makes the server wait d after accepting a connection before it
// sends its greeting.
func withGreetingStall(d time.Duration) serverOption {
	return func(ts *testServer, _ *smtp.Server, _ *net.Listener) { ts.greetingStall = d }
}

// stallingListener delays each accepted connection by the greeting stall.
func (ts *testServer) stallingListener(ln net.Listener) net.Listener {
	return stallListener{Listener: ln, ts: ts}
}

type stallListener struct {
	net.Listener
	ts *testServer
}

func (l stallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.ts.greetingStall <= 0 {
		return c, err
	}
	select {
	case <-time.After(l.ts.greetingStall):
	case <-l.ts.done:
	}
	return c, nil
}

// afterData applies the DATA faults of the transaction, once the message is in.
func (s *testSession) afterData() error {
	f := s.dataFaults
	if f.stallData > 0 {
		select {
		case <-time.After(f.stallData):
		case <-s.ts.done:
		}
	}
	if f.dropInData {
		_ = s.conn.Conn().Close()
		return errors.New("connection dropped by script before the reply to DATA")
	}
	return nil
}

// echoPassword refuses with code, echoing the AUTH password in every form a
// careless server might.
func (s *testSession) echoPassword(code int) error {
	pass := s.ts.pass
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + s.ts.user + "\x00" + pass))
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet,
		Message: fmt.Sprintf("no such user (password %s, quoted %q, auth plain %s)", pass, pass, plain)}
}

// A server that stalls before its greeting: the attempt ends at the SMTP timeout
// and is worth retrying.
func TestSMTPSenderGreetingStall(t *testing.T) {
	srv := startServer(t, withGreetingStall(10*time.Second))
	cfg := srv.config()
	cfg.Timeout = 300 * time.Millisecond
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage([]string{"a@example.com"}, nil, nil)
	start := time.Now()
	retry, err := s.Send(t.Context(), m, "a@example.com", "<id@example.com>")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Send took %v with a 300ms timeout", took)
	}
	if err == nil || !retry || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Errorf("Send = %v, %v; want a timeout worth retrying", retry, err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("the server got %d messages", len(srv.Messages()))
	}
}

// The per-recipient faults through the Deliverer: what the ledger ends with and how
// many copies the server holds.
func TestDeliverServerFaults(t *testing.T) {
	const rcpt = "a@example.com"
	tests := []struct {
		name       string
		steps      []step
		wantStatus ledger.DeliveryStatus
		wantCopies int // messages the server took
	}{
		{"451 then accepted", []step{tempFail}, ledger.DeliverySent, 1},
		{"550", []step{permFail}, ledger.DeliveryFailedPerm, 0},
		{"dropped after the final 250 is sent once", []step{lostAfter}, ledger.DeliverySent, 1},
		// The server has the message but the client never heard: the retry is the
		// one duplicate SMTP cannot rule out.
		{"dropped before the final 250 is retried", []step{dropBeforeReply}, ledger.DeliverySent, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			srv.script(rcpt, tt.steps...)
			s, err := NewSMTPSender(srv.config())
			if err != nil {
				t.Fatal(err)
			}
			d, _, _ := testDeliverer(t, s)
			m := testMessage([]string{rcpt}, nil, nil)
			_, _ = d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
			if got := delivery(t, d.Ledger, m, rcpt); got.Status != tt.wantStatus {
				t.Errorf("status = %s (%s), want %s", got.Status, got.LastError, tt.wantStatus)
			}
			if n := len(srv.MessagesTo(rcpt)); n != tt.wantCopies {
				t.Errorf("the server took %d copies, want %d", n, tt.wantCopies)
			}
		})
	}
}

// A server reply that echoes a password with a quote in it, as it is, %q-quoted and
// as base64 AUTH PLAIN: no form reaches the error, the JSON log or the ledger;
// the reply's text is withheld, its code kept.
func TestEchoedPasswordRedacted(t *testing.T) {
	const user, pass = "reports", `hun"ter<2>&s3cr3t`
	srv := startServer(t, withAuth(user, pass))
	srv.script("a@example.com", echoPassword)
	cfg := srv.config()
	cfg.Username, cfg.Password = user, pass
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, _, logs := testDeliverer(t, s)
	m := testMessage([]string{"a@example.com"}, nil, nil)
	_, err = d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("Deliver = %v, want the 550", err)
	}
	if !strings.Contains(srv.Wire(), base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass))) {
		t.Fatalf("the server did not echo the AUTH PLAIN string; the test tests nothing:\n%s", srv.Wire())
	}
	row := delivery(t, d.Ledger, m, "a@example.com")
	for where, text := range map[string]string{"error": err.Error(), "JSON log": logs.String(), "ledger": row.LastError} {
		for _, leak := range []string{"s3cr3t", base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))} {
			if strings.Contains(text, leak) {
				t.Errorf("%s holds %q: %s", where, leak, text)
			}
		}
		if !strings.Contains(text, "550 5.0.0 "+Withheld) {
			t.Errorf("%s does not withhold the text of the reply that holds the password: %s", where, text)
		}
	}
}
