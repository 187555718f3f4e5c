package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mailpitModule is the Mailpit release the test builds when it finds none.
const mailpitModule = "github.com/axllent/mailpit@v1.33.1"

var (
	mailpitOnce sync.Once
	mailpitPath string
	mailpitErr  error
)

// mailpitBinary returns a Mailpit binary: $KPIREPORT_MAILPIT, mailpit on PATH, or the
// one in $(go env GOCACHE)/kpireport-mailpit, built there with `go install` when it
// is missing. Without one the test is skipped, or fails under CI=true.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitOnce.Do(func() { mailpitPath, mailpitErr = findMailpit() })
	if mailpitErr != nil {
		msg := fmt.Sprintf("no Mailpit: %v\ninstall it with:\n  GOBIN=\"$(go env GOCACHE)/kpireport-mailpit\" GOFLAGS=-mod=mod go install %s\n"+
			"or set KPIREPORT_MAILPIT to a mailpit binary", mailpitErr, mailpitModule)
		if inCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return mailpitPath
}

func findMailpit() (string, error) {
	if p := os.Getenv("KPIREPORT_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("KPIREPORT_MAILPIT: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	cache := strings.TrimSpace(string(out))
	if err != nil || cache == "" || cache == "off" {
		return "", fmt.Errorf("no Go build cache to keep Mailpit in (go env GOCACHE: %q, %v)", cache, err)
	}
	dir := filepath.Join(cache, "kpireport-mailpit")
	bin := filepath.Join(dir, "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	// Outside this module, so that its go.mod is not touched.
	tmp, err := os.MkdirTemp("", "kpireport-mailpit-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", mailpitModule)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", mailpitModule, err, b)
	}
	return bin, nil
}

// mailpit is a Mailpit server started by the test on free loopback ports.
type mailpit struct {
	SMTPPort int
	api      string // http://127.0.0.1:port/api/v1
	client   *http.Client
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	smtpPort, httpPort := freePort(t), freePort(t)
	for smtpPort == httpPort {
		httpPort = freePort(t)
	}
	p := startProcess(t, bin, nil,
		"--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(t.TempDir(), "mp.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet")
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
		}
	})
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	mp := &mailpit{
		SMTPPort: smtpPort,
		api:      fmt.Sprintf("http://127.0.0.1:%d/api/v1", httpPort),
		client:   &http.Client{Timeout: 10 * time.Second, Transport: transport},
	}
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", httpPort)
	eventually(t, 15*time.Second, "Mailpit to be ready", func() bool {
		select {
		case <-p.done:
			t.Fatalf("mailpit exited: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), p.stderr.String())
		default:
		}
		resp, err := mp.client.Get(ready)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return mp
}

// get fetches path below the API and returns the body.
func (mp *mailpit) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := mp.client.Get(mp.api + path)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s\n%s", path, resp.Status, b)
	}
	return b
}

func (mp *mailpit) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(mp.get(t, path), v); err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
}

// The parts of Mailpit's API answers the test reads.
type (
	mpAddress struct{ Name, Address string }
	mpSummary struct {
		ID, MessageID string
	}
	mpList struct {
		Total    int         `json:"total"`
		Messages []mpSummary `json:"messages"`
	}
	mpAttachment struct {
		PartID, FileName, ContentType string
		Size                          int64
		Checksums                     struct{ SHA256 string }
	}
	mpMessage struct {
		ID, MessageID, Subject, Text, HTML string
		From                               mpAddress
		To, Cc, Bcc                        []mpAddress
		Attachments                        []mpAttachment
	}
)

// messages lists the messages Mailpit holds, newest first.
func (mp *mailpit) messages(t *testing.T) mpList {
	t.Helper()
	var l mpList
	mp.getJSON(t, "/messages?limit=100", &l)
	return l
}

// TestMailpit sends the demo company's monthly report through a real SMTP server,
// Mailpit, and reads it back through Mailpit's API: one message per recipient with
// the To and Cc of the job, the subject, HTML and text bodies with the company and
// the revenue, and attachments byte for byte equal to the generated files. A second
// run sends nothing; --resend sends every message again, each with a Message-ID of
// its own, so that a receiver that drops repeated Message-IDs keeps it.
func TestMailpit(t *testing.T) {
	t.Parallel()
	mp := startMailpit(t)
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, mp.SMTPPort, "", "")
	editConfig(t, cfg, "name = \"monthly\"\nperiod = \"month\"\n",
		"name = \"monthly\"\nperiod = \"month\"\nsubject = \"{{.Company}} — KPI's {{.Label}}\"\n")
	const wantSubject = demoCompanyName + " — KPI's October 2026"

	// The revenue as the mail shows it, from the KPIs of the same period.
	var kpis struct {
		KPIs []struct {
			ID    string   `json:"id"`
			Value *float64 `json:"value"`
		} `json:"kpis"`
	}
	out := mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly", "--period", "2026-10", "--format", "json")
	if err := json.Unmarshal([]byte(out.stdout), &kpis); err != nil {
		t.Fatalf("kpis --format json: %v", err)
	}
	revenue := ""
	for _, k := range kpis.KPIs {
		if k.ID == "revenue" && k.Value != nil {
			revenue = thousands(*k.Value)
		}
	}
	if revenue == "" {
		t.Fatalf("kpis: no revenue value:\n%s", out.stdout)
	}

	res := mustRun(t, nil, generateSend(cfg)...)
	files := map[string]string{} // base name → sha256 of the generated file
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasSuffix(line, ".xlsx") || strings.HasSuffix(line, ".pdf") {
			b, err := os.ReadFile(line)
			if err != nil {
				t.Fatalf("generated file: %v", err)
			}
			files[filepath.Base(line)] = sha256Hex(b)
		}
	}
	if len(files) != 2 {
		t.Fatalf("generate printed %d report files, want an xlsx and a pdf:\n%s", len(files), res)
	}
	for _, rcpt := range demoRecipients {
		if !strings.Contains(res.stdout, "sent to "+rcpt) {
			t.Errorf("generate --send: stdout does not say it sent to %s\n%s", rcpt, res)
		}
	}

	var list mpList
	eventually(t, 10*time.Second, "Mailpit to hold 3 messages", func() bool {
		list = mp.messages(t)
		return list.Total >= len(demoRecipients)
	})
	if list.Total != len(demoRecipients) {
		t.Fatalf("Mailpit holds %d messages, want one per recipient (%d)", list.Total, len(demoRecipients))
	}

	envelope := map[string]int{} // envelope recipient → messages
	ids := map[string]bool{}
	for _, s := range list.Messages {
		var m mpMessage
		mp.getJSON(t, "/message/"+s.ID, &m)
		var headers map[string][]string
		mp.getJSON(t, "/message/"+s.ID+"/headers", &headers)
		rcpt := receivedFor(headers)
		envelope[rcpt]++
		t.Run(rcpt, func(t *testing.T) {
			checkMailpitMessage(t, mp, m, wantSubject, revenue, files)
		})
		if ids[m.MessageID] {
			t.Errorf("Message-ID %s is used twice", m.MessageID)
		}
		ids[m.MessageID] = true
	}
	want := map[string]int{rcptDirectie: 1, rcptFinance: 1, rcptSales: 1}
	if diff := cmp.Diff(want, envelope); diff != "" {
		t.Errorf("messages per envelope recipient (-want +got):\n%s", diff)
	}

	// Again without --resend: every recipient has it, nothing is sent.
	res = mustRun(t, nil, generateSend(cfg)...)
	for _, rcpt := range demoRecipients {
		if !strings.Contains(res.stdout, "already sent to "+rcpt) {
			t.Errorf("second run: stdout does not say %s already has it\n%s", rcpt, res)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := mp.messages(t).Total; n != len(demoRecipients) {
		t.Errorf("after a second run without --resend Mailpit holds %d messages, want still %d", n, len(demoRecipients))
	}

	// With --resend: every recipient gets it again, with a new Message-ID.
	res = mustRun(t, nil, generateSend(cfg, "--resend")...)
	for _, rcpt := range demoRecipients {
		if !strings.Contains(res.stdout, "sent to "+rcpt) || strings.Contains(res.stdout, "already sent to "+rcpt) {
			t.Errorf("--resend: stdout does not say it sent to %s again\n%s", rcpt, res)
		}
	}
	eventually(t, 10*time.Second, "Mailpit to hold 6 messages", func() bool {
		list = mp.messages(t)
		return list.Total >= 2*len(demoRecipients)
	})
	if list.Total != 2*len(demoRecipients) {
		t.Fatalf("after --resend Mailpit holds %d messages, want %d", list.Total, 2*len(demoRecipients))
	}
	resent := map[string]int{}
	for _, s := range list.Messages {
		resent[s.MessageID]++
	}
	for id := range ids {
		if resent[id] != 1 {
			t.Errorf("Message-ID %s of a first mail: %d copies after --resend, want 1", id, resent[id])
		}
	}
	if len(resent) != 2*len(demoRecipients) {
		t.Errorf("after --resend Mailpit holds %d distinct Message-IDs, want %d: %v", len(resent), 2*len(demoRecipients), resent)
	}

	hist := historyOf(t, nil, cfg)
	if len(hist.Runs) != 3 {
		t.Errorf("history: want 3 runs, got %+v", hist.Runs)
	}
	for _, r := range hist.Runs {
		if r.Job != "monthly" || r.Period != "2026-10" || r.Status != "succeeded" {
			t.Errorf("history: want a succeeded run of monthly 2026-10: %s", r.Line)
		}
	}
	checkAllSent(t, hist)
}

// checkMailpitMessage checks one report message as Mailpit parsed it.
func checkMailpitMessage(t *testing.T, mp *mailpit, m mpMessage, subject, revenue string, files map[string]string) {
	t.Helper()
	if m.Subject != subject {
		t.Errorf("subject %q, want %q", m.Subject, subject)
	}
	if want := (mpAddress{"KPI Reports", "reports@voorbeeld.example"}); m.From != want {
		t.Errorf("From %+v, want %+v", m.From, want)
	}
	wantTo := []mpAddress{{"Directie", rcptDirectie}, {"", rcptFinance}}
	if diff := cmp.Diff(wantTo, m.To); diff != "" {
		t.Errorf("To (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]mpAddress{{"", rcptSales}}, m.Cc); diff != "" {
		t.Errorf("Cc (-want +got):\n%s", diff)
	}
	if len(m.Bcc) != 0 {
		t.Errorf("Bcc %+v: the envelope had a recipient the headers do not show", m.Bcc)
	}
	for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
		if strings.TrimSpace(body) == "" {
			t.Errorf("the %s part is empty", part)
			continue
		}
		for _, want := range []string{demoCompanyName, revenue} {
			if !strings.Contains(body, want) {
				t.Errorf("the %s part lacks %q:\n%s", part, want, body)
			}
		}
	}
	wantTypes := map[string]string{
		".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		".pdf":  "application/pdf",
	}
	var names []string
	for _, a := range m.Attachments {
		names = append(names, a.FileName)
		want, ok := files[a.FileName]
		if !ok {
			t.Errorf("attachment %q is none of the generated files %v", a.FileName, files)
			continue
		}
		if ct := wantTypes[filepath.Ext(a.FileName)]; a.ContentType != ct {
			t.Errorf("attachment %s: content type %q, want %q", a.FileName, a.ContentType, ct)
		}
		if got := sha256Hex(mp.get(t, "/message/"+m.ID+"/part/"+a.PartID)); got != want {
			t.Errorf("attachment %s: sha256 %s, the generated file has %s", a.FileName, got, want)
		}
		if a.Checksums.SHA256 != want {
			t.Errorf("attachment %s: Mailpit's sha256 %s, the generated file has %s", a.FileName, a.Checksums.SHA256, want)
		}
	}
	slices.Sort(names)
	if want := []string{"monthly-2026-10.pdf", "monthly-2026-10.xlsx"}; !slices.Equal(names, want) {
		t.Errorf("attachments %v, want %v", names, want)
	}
}

// receivedFor returns the envelope recipient Mailpit wrote into its Received header
// ("... for <rcpt>; date").
func receivedFor(headers map[string][]string) string {
	for _, h := range headers["Received"] {
		if _, rest, ok := strings.Cut(h, " for <"); ok {
			if rcpt, _, ok := strings.Cut(rest, ">"); ok {
				return rcpt
			}
		}
	}
	return ""
}

// thousands formats v with two decimals and comma thousands separators, as the
// English reports show money: 98758.12 → "98,758.12".
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "." + frac
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
