package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	mlog "github.com/wneessen/go-mail/log"

	"github.com/kpireport/kpireport/config"
)

// The TLS modes of SMTPConfig.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS; refused if the server lacks it
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS; only for a server on a loopback address
)

// DefaultSMTPTimeout is the per-attempt timeout when SMTPConfig.Timeout is 0.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port int
	// TLS is "starttls" (default, mandatory), "tls" or "none"; "none" is
	// refused unless Host is a loopback address (config.IsLoopback).
	TLS      string
	Username string // empty: no authentication
	Password Secret
	// Timeout bounds one attempt, from dial to QUIT. Default: 30s.
	Timeout time.Duration
	// MaxAttachmentBytes limits the attachments' total size; over it the
	// send fails permanently, it never sends the mail without them.
	// 0 means no limit.
	MaxAttachmentBytes int64
	// HeloName is the name given in EHLO. Default: the machine's host name.
	HeloName string

	// tlsConfig replaces the default TLS settings; tests set it to trust
	// their own certificate.
	tlsConfig *tls.Config
}

// withDefaults returns c with its defaults filled in, and every problem
// found, each naming its field.
func (c SMTPConfig) withDefaults() (SMTPConfig, error) {
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("%w: smtp.%s %v: %s", ErrInvalidConfig, field, value, why))
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSMTPTimeout
	}
	if c.Port == 0 {
		c.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[c.TLS]
	}
	if c.Host == "" || strings.ContainsAny(c.Host, " /\t\r\n") {
		bad("host", strconv.Quote(c.Host), "is not a host name")
	}
	loopback := config.IsLoopback(c.Host)
	if loopback {
		// "localhost." is localhost, but Go's resolver asks DNS for it, not
		// /etc/hosts: it is dialled without the dot.
		c.Host = strings.TrimSuffix(c.Host, ".")
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !loopback {
			bad("tls", strconv.Quote(c.TLS), "is only allowed for a loopback host, not "+strconv.Quote(c.Host))
		}
	default:
		bad("tls", strconv.Quote(c.TLS), "is not one of starttls, tls, none")
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("port", c.Port, "is not in 1..65535")
	}
	if c.Timeout < 0 {
		bad("timeout", c.Timeout, "is negative")
	}
	if c.MaxAttachmentBytes < 0 {
		bad("max_attachment_bytes", c.MaxAttachmentBytes, "is negative")
	}
	if c.Password != "" && c.Username == "" {
		bad("username", `""`, "is required with a password")
	}
	if strings.ContainsAny(c.HeloName, " \t\r\n") {
		bad("helo_name", strconv.Quote(c.HeloName), "is not a host name")
	}
	return c, errors.Join(errs...)
}

// SMTPSender sends each message over its own SMTP connection. It is safe
// for concurrent use.
type SMTPSender struct {
	cfg    SMTPConfig
	redact *Redactor
}

var _ Sender = (*SMTPSender)(nil)

// Format prints the sender as its server address for every verb: fmt
// cannot call Secret's methods on an unexported field, so it must not print
// the config.
func (s SMTPSender) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "SMTPSender{%s}", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)))
}

// NewSMTPSender checks cfg and returns a sender for it. It does not
// connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &SMTPSender{cfg: cfg, redact: NewRedactor(cfg.Username, cfg.Password)}, nil
}

// Send makes one attempt to deliver rcpt's copy of m: one connection, one
// MAIL, one RCPT (rcpt), one DATA. It reports whether a failure is worth
// retrying: 4xx replies and connection trouble (dial, TLS, timeout, reset)
// are; 5xx replies, invalid addresses and messages that cannot be built are
// not. Once the server accepted the DATA the message counts as delivered,
// even if the RSET or QUIT after it fails.
func (s *SMTPSender) Send(ctx context.Context, m *Message, rcpt, messageID string) (retry bool, err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	replies := &replyLog{}
	wrap := func(err error) error {
		return replies.sanitize(s.redact, fmt.Errorf("smtp %s: send %s %s to %s: %w", addr, m.Job, m.Period, rcpt, err))
	}
	msg, err := buildMsg(m, rcpt, messageID, time.Now(), s.cfg.MaxAttachmentBytes)
	if err != nil {
		return false, wrap(err)
	}
	start := time.Now()
	attemptCtx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	opts := append(s.options(attemptCtx), gomail.WithDebugLog(), gomail.WithLogger(replies))
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return false, wrap(err)
	}
	err = client.DialAndSendWithContext(attemptCtx, msg)
	if msg.IsDelivered() {
		// The server took the message; a failing RSET or QUIT after that
		// must not make us send it twice (go-mail issues #463, #500).
		return false, nil
	}
	if err == nil {
		return false, nil
	}
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	case attemptCtx.Err() != nil || time.Since(start) >= s.cfg.Timeout:
		// The context or go-mail's own connection deadline, whichever
		// fired first.
		err = fmt.Errorf("attempt timed out after %s: %w", s.cfg.Timeout, err)
	}
	return retryable(err), wrap(err)
}

// options are the go-mail client options of one attempt. The dialer closes
// the connection when attemptCtx ends, so the timeout bounds the whole
// attempt and a cancelled run does not wait for a slow server.
func (s *SMTPSender) options(attemptCtx context.Context) []gomail.Option {
	tlsConfig := s.cfg.tlsConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = s.cfg.Host
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
			var d net.Dialer
			var conn net.Conn
			var err error
			if s.cfg.TLS == TLSImplicit {
				conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, network, address)
			} else {
				conn, err = d.DialContext(ctx, network, address)
			}
			if err != nil {
				return nil, err
			}
			context.AfterFunc(attemptCtx, func() { _ = conn.Close() })
			return conn, nil
		}),
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// go-mail skips STARTTLS on an "SSL" client; the dialer above does
		// the TLS handshake.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HeloName))
	}
	if s.cfg.Username != "" {
		// The best mechanism both sides know. PLAIN and LOGIN are only
		// used over TLS, or unencrypted to the loopback server "none"
		// allows.
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1}
		if s.cfg.TLS == TLSNone {
			mechs = append(mechs, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc)
		} else {
			mechs = append(mechs, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin)
		}
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(string(s.cfg.Password)),
			gomail.WithOpportunisticSMTPAuth(append(mechs, gomail.SMTPAuthCramMD5)...),
		)
	}
	return opts
}

// retryable says whether another attempt can succeed where this one failed
// with err. The server's reply decides when there is one: 4xx yes, 5xx no.
// go-mail reports a failed transaction as *SendError and a failed dial,
// greeting, STARTTLS or AUTH as a plain error; a network error, a TLS error
// or a timeout (no reply code) is worth retrying, a message go-mail could
// not even start to send is not.
func retryable(err error) bool {
	if se, ok := errors.AsType[*gomail.SendError](err); ok {
		switch code := se.ErrorCode(); {
		case code >= 500:
			return false
		case code >= 400 || se.IsTemp():
			return true
		}
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false
		}
		return true
	}
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return te.Code < 500
	}
	return true
}

// Redactor returns the sender's Redactor: what replaces its password, in
// every form a reply can echo it, in the errors Send returns.
func (s *SMTPSender) Redactor() *Redactor { return s.redact }

// replyLog records the server's replies of one attempt, and whether each
// answered a command of the AUTH exchange, from go-mail's debug log (which
// never holds the AUTH data we send: go-mail writes a placeholder for it).
type replyLog struct {
	mu      sync.Mutex
	inAuth  bool // the last command sent was part of AUTH
	replies []serverReply
}

type serverReply struct {
	code int
	text string
	auth bool
}

var _ mlog.Logger = (*replyLog)(nil)

// authPlaceholder is what go-mail logs instead of a command of the AUTH
// exchange.
const authPlaceholder = "<SMTP auth data redacted>"

func (l *replyLog) Debugf(e mlog.Log) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Direction {
	case mlog.DirClientToServer:
		l.inAuth = len(e.Messages) == 1 && e.Messages[0] == authPlaceholder ||
			strings.HasPrefix(strings.ToUpper(fmt.Sprintf(e.Format, e.Messages...)), "AUTH")
	case mlog.DirServerToClient:
		if len(e.Messages) != 2 {
			return
		}
		code, _ := e.Messages[0].(int)
		text, _ := e.Messages[1].(string)
		if code >= 200 && code < 400 || text == "" {
			return // a success or a challenge is never part of an error
		}
		l.replies = append(l.replies, serverReply{code: code, text: text, auth: l.inAuth})
	}
}

func (*replyLog) Infof(mlog.Log)  {}
func (*replyLog) Warnf(mlog.Log)  {}
func (*replyLog) Errorf(mlog.Log) {}

// quotedReply matches a server reply as net/textproto's Error shows it: a
// 4xx/5xx code and the %q-quoted text (for go-mail's errors of every
// command, the greeting and the reply after the data included).
var quotedReply = regexp.MustCompile(`\b([45]\d\d) ("(?:[^"\\]|\\.)*")`)

// sanitize returns err with the text of every server reply in it passed
// through r.Reply: redacted, or withheld for a reply to AUTH, one holding
// the password, or any reply when the password is short. Our own text is
// left as it is; only for a password of MinRedactLen characters or more a
// last r.String runs over the whole text, in case a server's text reached
// it some other way.
func (l *replyLog) sanitize(r *Redactor, err error) error {
	if r == nil || len(r.forms) == 0 {
		return err
	}
	l.mu.Lock()
	logged := append([]serverReply(nil), l.replies...)
	l.mu.Unlock()
	isAuth := func(code int, text string) bool {
		for _, rp := range logged {
			if rp.auth && rp.code == code && rp.text == text {
				return true
			}
		}
		return false
	}
	msg := err.Error()
	out := quotedReply.ReplaceAllStringFunc(msg, func(m string) string {
		sub := quotedReply.FindStringSubmatch(m)
		code, _ := strconv.Atoi(sub[1])
		text, uerr := strconv.Unquote(sub[2])
		if uerr != nil {
			return m
		}
		return r.Reply(code, text, isAuth(code, text))
	})
	// A reply that reached the text unquoted.
	for _, rp := range logged {
		if full := fmt.Sprintf("%03d %s", rp.code, rp.text); len(rp.text) >= MinRedactLen && strings.Contains(out, full) {
			out = strings.ReplaceAll(out, full, r.Reply(rp.code, rp.text, rp.auth))
		}
	}
	out = r.String(out)
	if out == msg {
		return err
	}
	return errors.New(out)
}
