package delivery

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

// fakeClock fires every After at once and moves its time forward by the
// wait, recording each wait. When onAfter is set it is called instead and
// its channel returned.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	onAfter func(d time.Duration) <-chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	if c.onAfter != nil {
		return c.onAfter(d)
	}
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// openLedger opens a fresh ledger in a temporary folder.
func openLedger(t *testing.T, path string) *ledger.Ledger {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "ledger.db")
	}
	l, err := ledger.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// startRun records a run to hang deliveries on.
func startRun(t *testing.T, l *ledger.Ledger, m *Message) int64 {
	t.Helper()
	r, err := l.StartRun(t.Context(), m.Job, m.Period, ledger.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// testDeliverer wires sender, a fresh ledger, a fake clock and a logger
// writing JSON to the returned buffer.
func testDeliverer(t *testing.T, sender Sender) (*Deliverer, *fakeClock, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	clock := newFakeClock()
	return &Deliverer{
		Sender: sender,
		Ledger: openLedger(t, ""),
		Policy: Policy{Retries: 3, Backoff: time.Second, MaxBackoff: 4 * time.Second, Jitter: -1},
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:  clock,
	}, clock, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testMessage is a small report mail to the given recipients.
func testMessage(to, cc, bcc []string) *Message {
	return &Message{
		Job:     "monthly",
		Period:  "2026-10",
		From:    "KPI Reports <reports@example.com>",
		To:      to,
		Cc:      cc,
		Bcc:     bcc,
		Subject: "KPI report 2026-10",
		Text:    "Revenue is up.\n",
		HTML:    "<p>Revenue is <b>up</b>.</p>\n",
	}
}

// delivery returns the ledger row of rcpt.
func delivery(t *testing.T, l *ledger.Ledger, m *Message, rcpt string) ledger.Delivery {
	t.Helper()
	ds, err := l.Deliveries(t.Context(), m.Job, m.Period)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Recipient == rcpt {
			return d
		}
	}
	t.Fatalf("no delivery row for %s in %+v", rcpt, ds)
	return ledger.Delivery{}
}

// mimePart is one leaf of a parsed mail, its body decoded.
type mimePart struct {
	ContentType string // media type without parameters
	FileName    string
	Body        string
}

// parsedMail is a mail read back with net/mail and mime/multipart.
type parsedMail struct {
	Header mail.Header
	Parts  []mimePart
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse mail: %v\n%s", err, data)
	}
	var parts []mimePart
	walkPart(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &parts)
	return parsedMail{Header: msg.Header, Parts: parts}
}

func walkPart(t *testing.T, ctype, encoding, disposition string, body io.Reader, out *[]mimePart) {
	t.Helper()
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("content type %q: %v", ctype, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walkPart(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p, out)
		}
	}
	// multipart.Part decodes quoted-printable itself and drops the header.
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	if disposition != "" {
		if _, dp, err := mime.ParseMediaType(disposition); err == nil {
			name = dp["filename"]
		}
	}
	*out = append(*out, mimePart{ContentType: media, FileName: name, Body: string(b)})
}
