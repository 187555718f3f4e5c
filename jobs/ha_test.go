package jobs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/demo"
	"github.com/kpireport/kpireport/internal/pgtest"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// The environment of a replica process started by TestHA.
const (
	haConfigEnv = "KPIREPORT_HA_CONFIG"       // the replica's config file
	haOffsetEnv = "KPIREPORT_HA_CLOCK_OFFSET" // seconds added to the real clock
	haStateEnv  = "KPIREPORT_HA_STATE_DSN"    // the shared ledger, named by state.dsn_env
)

// haLease is the replicas' lease: short, so that a takeover is quick.
const haLease = 3 * time.Second

// haNow is the replicas' time when the test starts: their clock runs from
// here, so that the periods they report are those of the demo data.
var haNow = time.Date(2026, 12, 3, 10, 0, 0, 0, amsterdam)

// haJobs are the replicas' jobs and their recipients.
var haJobs = []struct {
	Name, Period string
	To, Cc       []string
}{
	{"monthly", "month", []string{"Directie <directie@ha.example>", "finance@ha.example"}, []string{"sales@ha.example"}},
	{"weekly", "week", []string{"sales@ha.example", "ops@ha.example"}, nil},
	{"quarterly", "quarter", []string{"board@ha.example"}, []string{"finance@ha.example"}},
}

// TestHA runs three replicas of the daemon as processes that share a
// PostgreSQL ledger, whose claims alone keep a period to one of them, and fire every second,
// mailing to an in-process SMTP server. The server holds the second message of
// the first replica to send two; the test kills that replica with SIGKILL
// in the middle of its run, and checks that another replica completes the
// period within a lease and a tick, and that every (job, period, recipient)
// is mailed exactly once.
func TestHA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	dsn := pgtest.Postgres(t)
	dir := t.TempDir()
	res, err := demo.Generate(context.Background(), demo.Options{
		Dir: filepath.Join(dir, "demo"), Orders: 3000, Format: "csv", End: time.Date(2026, 12, 10, 0, 0, 0, 0, amsterdam),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := startHASMTP(t)

	// Three replicas, each with its config, started together.
	offset := haNow.Sub(time.Now()).Truncate(time.Second)
	replicas := make([]*haReplica, 3)
	for i := range replicas {
		node := fmt.Sprintf("replica-%d", i)
		cfgPath := filepath.Join(dir, node+".toml")
		writeHAConfig(t, cfgPath, haConfigData{
			Node: node, Dir: dir, DataDir: res.DataPath, SMTPPort: srv.port,
			Lease: haLease.String(),
			Jobs:  haJobs,
		})
		replicas[i] = startReplica(t, node, cfgPath, dsn, offset, filepath.Join(dir, node+".log"))
	}
	byNode := func(node string) *haReplica {
		for _, r := range replicas {
			if r.node == node {
				return r
			}
		}
		t.Fatalf("no replica %q", node)
		return nil
	}

	l, err := ledger.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	// Kill the replica that is in the middle of a run, holding its claim, once
	// the ledger has every message the server accepted from it: a process that
	// dies after the server accepted a message and before it recorded that is
	// the one window in which a message goes out twice (docs/operations.md).
	var victim *haReplica
	var from string
	select {
	case from = <-srv.held:
		victim = byNode(strings.TrimSuffix(from, "@replicas.example"))
	case <-time.After(40 * time.Second):
		t.Fatalf("no replica sent two messages within 40s\n%s", replicaLogs(replicas))
	}
	waitHA(t, 10*time.Second, replicas, func() (bool, error) {
		if srv.inFlight(from) > 0 {
			return false, nil
		}
		sent, err := haSent(t.Context(), l)
		if err != nil {
			return false, err
		}
		for key, froms := range srv.accepted() {
			if froms[0] == from && !sent[key] {
				return false, nil
			}
		}
		return true, nil
	})
	victim.kill(t)
	killed := time.Now()
	srv.release()
	claimed := claimsOf(t, l, victim.node)
	if len(claimed) == 0 {
		t.Fatalf("the killed %s held no claim\n%s", victim.node, replicaLogs(replicas))
	}
	t.Logf("killed %s, which held %v", victim.node, claimed)

	// Another replica completes the period within a lease and a tick (and the
	// time a run takes).
	waitHA(t, 30*time.Second, replicas, func() (bool, error) { return haDone(t.Context(), l) })
	took := time.Since(killed)
	t.Logf("periods complete %v after the kill", took.Round(10*time.Millisecond))
	if limit := haLease + 10*time.Second; took > limit {
		t.Errorf("took %v after the kill, want less than %v (lease %v, one tick, one run)", took, limit, haLease)
	}
	time.Sleep(2500 * time.Millisecond) // more ticks: nothing more may go out
	for _, r := range replicas {
		if r != victim {
			r.stop(t)
		}
	}

	// Every (job, period, recipient) is in the ledger as sent once, and the
	// server accepted it exactly once.
	accepted := srv.accepted()
	rows, totalInterrupted := 0, 0
	for _, p := range haPeriods() {
		ds, err := l.Deliveries(t.Context(), p.job, p.period)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, j := range haJobs {
			if j.Name == p.job {
				want = len(j.To) + len(j.Cc)
			}
		}
		if len(ds) != want {
			t.Errorf("%s %s: %d deliveries in the ledger, want %d", p.job, p.period, len(ds), want)
		}
		for _, d := range ds {
			rows++
			if d.Status != ledger.DeliverySent || d.Attempts != 1 {
				t.Errorf("%s %s %s: %s after %d attempts, want sent after 1", p.job, p.period, d.Recipient, d.Status, d.Attempts)
			}
			got := accepted[d.MessageID+" "+d.Recipient]
			if len(got) != 1 {
				t.Errorf("%s %s %s: accepted %d times (from %v), want once", p.job, p.period, d.Recipient, len(got), got)
			}
		}
		runs, err := l.Runs(t.Context(), p.job, 0)
		if err != nil {
			t.Fatal(err)
		}
		var succeeded, interrupted int
		for _, r := range runs {
			if r.Period != p.period {
				continue
			}
			switch {
			case r.Status == ledger.RunSucceeded:
				succeeded++
			case r.Status == ledger.RunFailed && strings.HasPrefix(r.Error, "interrupted"):
				interrupted++
			default:
				t.Errorf("%s %s: run %+v", p.job, p.period, r)
			}
		}
		// The killed replica's runs are closed by their successors. (It may
		// have died after recording a run and before releasing its claim.)
		if succeeded != 1 || interrupted > 1 || interrupted == 1 && !claimed[p] {
			t.Errorf("%s %s: %d succeeded and %d interrupted runs, want 1 and, if the killed replica held it, 1",
				p.job, p.period, succeeded, interrupted)
		}
		totalInterrupted += interrupted
	}
	if totalInterrupted == 0 {
		t.Errorf("no interrupted run: the killed replica was not in the middle of one")
	}
	n := 0
	for key, froms := range accepted {
		n += len(froms)
		for _, from := range froms[1:] {
			t.Errorf("%s accepted again from %s", key, from)
		}
	}
	if n != rows {
		t.Errorf("the server accepted %d messages, the ledger has %d deliveries", n, rows)
	}
	if t.Failed() || os.Getenv("HA_DEBUG") != "" {
		t.Logf("replica logs:\n%s", replicaLogs(replicas))
	}
}

// haPeriod is a (job, period) the replicas report.
type haPeriod struct{ job, period string }

func (p haPeriod) String() string { return p.job + " " + p.period }

// haPeriods are the periods the replicas report while the test runs.
func haPeriods() []haPeriod {
	var ps []haPeriod
	for _, j := range haJobs {
		kind, _ := period.ParseKind(j.Period)
		ps = append(ps, haPeriod{j.Name, period.LastComplete(kind, haNow, amsterdam).Label()})
	}
	return ps
}

// haDone reports whether every period has a succeeded run and every delivery
// of it is sent.
func haDone(ctx context.Context, l *ledger.Ledger) (bool, error) {
	for _, p := range haPeriods() {
		_, ok, err := l.LastSuccess(ctx, p.job, p.period)
		if err != nil || !ok {
			return false, err
		}
		ds, err := l.Deliveries(ctx, p.job, p.period)
		if err != nil {
			return false, err
		}
		for _, d := range ds {
			if d.Status != ledger.DeliverySent {
				return false, nil
			}
		}
	}
	return true, nil
}

// haSent returns the deliveries the ledger has as sent, as "<message-id> <rcpt>".
func haSent(ctx context.Context, l *ledger.Ledger) (map[string]bool, error) {
	sent := map[string]bool{}
	for _, p := range haPeriods() {
		ds, err := l.Deliveries(ctx, p.job, p.period)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Status == ledger.DeliverySent {
				sent[d.MessageID+" "+d.Recipient] = true
			}
		}
	}
	return sent, nil
}

// claimsOf returns the periods node holds a claim on.
func claimsOf(t *testing.T, l *ledger.Ledger, node string) map[haPeriod]bool {
	t.Helper()
	held := map[haPeriod]bool{}
	for _, p := range haPeriods() {
		c, ok, err := l.ClaimOf(t.Context(), p.job, p.period)
		if err != nil {
			t.Fatal(err)
		}
		if ok && c.Node == node {
			held[p] = true
		}
	}
	return held
}

func waitHA(t *testing.T, timeout time.Duration, replicas []*haReplica, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %v\n%s", timeout, replicaLogs(replicas))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// haConfigData fills haConfig.
type haConfigData struct {
	Node, Dir, DataDir string
	SMTPPort           int
	Lease              string
	Jobs               any
}

// haConfig is a replica's config file: the production settings of a
// replica, with the mail going to the test's server.
var haConfig = template.Must(template.New("").Funcs(template.FuncMap{"q": strconv.Quote}).Parse(`
[report]
company = "HA B.V."
timezone = "Europe/Amsterdam"
output_dir = {{q (print .Dir "/reports-" .Node)}}

[source]
type = "csv"
dir = {{q .DataDir}}

[smtp]
host = "127.0.0.1"
port = {{.SMTPPort}}
tls = "none"
from = {{q (print .Node "@replicas.example")}}
timeout = "20s"

[delivery]
mode = "smtp"
retries = 2
backoff = "200ms"
max_backoff = "1s"

[state]
driver = "postgres"
dsn_env = "` + haStateEnv + `"

[cluster]
lease = {{q .Lease}}
node = {{q .Node}}
{{range .Jobs}}
[[jobs]]
name = {{q .Name}}
period = {{q .Period}}
schedule = "0 7 1 * *"
formats = ["pdf"]
catch_up = "none"
recipients = [{{range $i, $a := .To}}{{if $i}}, {{end}}{{q $a}}{{end}}]
cc = [{{range $i, $a := .Cc}}{{if $i}}, {{end}}{{q $a}}{{end}}]
{{end}}`))

func writeHAConfig(t *testing.T, path string, d haConfigData) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(haConfig.Execute(f, d), f.Close()); err != nil {
		t.Fatal(err)
	}
}

// haReplica is a replica process: this test binary running TestHAReplica.
type haReplica struct {
	node, logPath string
	cmd           *exec.Cmd
	exited        chan struct{}
	err           error // of Wait, once exited is closed
}

func startReplica(t *testing.T, node, cfgPath, dsn string, offset time.Duration, logPath string) *haReplica {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHAReplica$", "-test.count=1", "-test.v", "-test.timeout=5m")
	cmd.Env = append(os.Environ(),
		haConfigEnv+"="+cfgPath,
		haOffsetEnv+"="+strconv.FormatInt(int64(offset/time.Second), 10),
		haStateEnv+"="+dsn)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &haReplica{node: node, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = cmd.Process.Kill()
			<-r.exited
		}
	})
	return r
}

// kill ends the replica the way a crash does: no shutdown, no cleanup.
func (r *haReplica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.exited
}

// stop stops the replica the way systemd does and checks that it ended
// cleanly: no error, no goroutine left behind.
func (r *haReplica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s", r.node)
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	if r.err != nil {
		t.Errorf("%s: %v", r.node, r.err)
	}
}

// replicaLogs returns the end of every replica's log.
func replicaLogs(replicas []*haReplica) string {
	var b strings.Builder
	for _, r := range replicas {
		data, _ := os.ReadFile(r.logPath)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		lines = lines[max(0, len(lines)-40):]
		fmt.Fprintf(&b, "--- %s\n%s\n", r.node, strings.Join(lines, "\n"))
	}
	return b.String()
}

// TestHAReplica is a replica process of TestHA: the daemon with its config,
// its job schedules replaced by every second, and its clock set to the
// test's. It runs until SIGTERM.
func TestHAReplica(t *testing.T) {
	cfgPath := os.Getenv(haConfigEnv)
	if cfgPath == "" {
		t.Skip("a replica process that TestHA starts")
	}
	offset, err := strconv.ParseInt(os.Getenv(haOffsetEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logger := slogText(os.Stderr)
	svc, err := OpenService(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	d := &Daemon{
		Service: svc,
		Clock:   shiftedClock{Clock: clockwork.NewRealClock(), offset: time.Duration(offset) * time.Second},
		Grace:   5 * time.Second,
	}
	d.schedule = func(*config.Job) gocron.JobDefinition { return gocron.CronJob("* * * * * *", true) }
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// shiftedClock is the real clock moved by offset.
type shiftedClock struct {
	clockwork.Clock
	offset time.Duration
}

func (c shiftedClock) Now() time.Time                  { return c.Clock.Now().Add(c.offset) }
func (c shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c shiftedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// haSMTP is the SMTP server of TestHA. It accepts every message and records
// it by Message-ID and recipient, with the sender (the replica's address).
// From the second MAIL of the first sender to send two on, that sender's
// MAILs are held until release, and then refused.
type haSMTP struct {
	port int
	held chan string // the sender whose MAILs are held

	mu       sync.Mutex
	mails    map[string]int
	holdFrom string
	released chan struct{}
	inflight map[string]int      // per sender: MAILs accepted whose DATA has not ended
	got      map[string][]string // "<message-id> <rcpt>" -> senders
}

func startHASMTP(t *testing.T) *haSMTP {
	t.Helper()
	hs := &haSMTP{
		held: make(chan string, 1), mails: map[string]int{}, released: make(chan struct{}),
		inflight: map[string]int{}, got: map[string][]string{},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs.port = ln.Addr().(*net.TCPAddr).Port
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &haSession{hs: hs}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		hs.release()
		_ = s.Close()
		<-served
	})
	return hs
}

func (hs *haSMTP) release() {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	select {
	case <-hs.released:
	default:
		close(hs.released)
	}
}

// inFlight returns how many messages from sender are past MAIL and not done.
func (hs *haSMTP) inFlight(from string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.inflight[from]
}

// accepted returns the senders of each accepted "<message-id> <rcpt>".
func (hs *haSMTP) accepted() map[string][]string {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	out := make(map[string][]string, len(hs.got))
	for k, v := range hs.got {
		out[k] = append([]string(nil), v...)
	}
	return out
}

type haSession struct {
	hs    *haSMTP
	from  string // after a MAIL that was not refused
	rcpts []string
}

func (s *haSession) Mail(from string, _ *smtp.MailOptions) error {
	hs := s.hs
	hs.mu.Lock()
	hs.mails[from]++
	if hs.holdFrom == "" && hs.mails[from] == 2 {
		hs.holdFrom = from
		hs.held <- from
	}
	hold := from == hs.holdFrom
	if !hold {
		s.from = from
		hs.inflight[from]++
	}
	hs.mu.Unlock()
	if !hold {
		return nil
	}
	<-hs.released
	return &smtp.SMTPError{Code: 421, Message: "held for the test"}
}

func (s *haSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *haSession) Data(r io.Reader) error {
	defer s.Reset()
	m, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, m.Body); err != nil {
		return err
	}
	id := m.Header.Get("Message-Id")
	s.hs.mu.Lock()
	defer s.hs.mu.Unlock()
	for _, rcpt := range s.rcpts {
		key := id + " " + rcpt
		s.hs.got[key] = append(s.hs.got[key], s.from)
	}
	return nil
}

// Reset ends the message in progress, if any.
func (s *haSession) Reset() {
	if s.from != "" {
		s.hs.mu.Lock()
		s.hs.inflight[s.from]--
		s.hs.mu.Unlock()
	}
	s.from, s.rcpts = "", nil
}

func (s *haSession) Logout() error {
	s.Reset()
	return nil
}

// senderFunc is a delivery.Sender made of a function.
type senderFunc func(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error)

func (f senderFunc) Send(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error) {
	return f(ctx, m, rcpt, messageID)
}

// claimTestService opens a service on the demo company with only the monthly job,
// as node "replica-a" with a fixed clock at 1 November 2026 07:00.
func claimTestService(t *testing.T) (*Service, *config.Job, period.Period, time.Time) {
	t.Helper()
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
	svc, err := OpenService(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	now := time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam)
	svc.Runner.Now = func() time.Time { return now }
	svc.Node, svc.Lease = "replica-a", time.Minute
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	return svc, job, p, now
}

// A period another replica has claimed is skipped by scheduled runs and refused to
// manual ones; its claim is left alone.
func TestRunSkipsClaimedPeriod(t *testing.T) {
	svc, job, p, now := claimTestService(t)
	ctx := t.Context()
	if ok, err := svc.Ledger.Claim(ctx, "monthly", "2026-10", "replica-b", time.Minute, now); !ok || err != nil {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	res, err := svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if err != nil || !res.Skipped || res.ClaimedBy != "replica-b" {
		t.Fatalf("scheduled Run = %+v, %v; want skipped, claimed by replica-b", res, err)
	}
	if _, err := svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerManual, Send: true}); !errors.Is(err, ErrClaimed) ||
		!strings.Contains(err.Error(), "replica-b") {
		t.Fatalf("manual Run = %v, want ErrClaimed naming replica-b", err)
	}
	runs, err := svc.Ledger.Runs(ctx, "", 0)
	if err != nil || len(runs) != 0 {
		t.Errorf("runs = %+v, %v; want none", runs, err)
	}
	if c, _, _ := svc.Ledger.ClaimOf(ctx, "monthly", "2026-10"); c.Node != "replica-b" {
		t.Errorf("claim now held by %q, want replica-b's left alone", c.Node)
	}
}

// A replica that takes over the expired claim of one that died mid-run closes the
// dead run and sends only to the recipients still owed the report, then releases
// the claim.
func TestRunTakesOverExpiredClaim(t *testing.T) {
	svc, job, p, now := claimTestService(t)
	ctx := t.Context()
	// replica-b claimed, started, sent to one recipient and died a while ago.
	if ok, err := svc.Ledger.Claim(ctx, "monthly", "2026-10", "replica-b", time.Minute, now.Add(-5*time.Minute)); !ok || err != nil {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	dead, err := svc.Ledger.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled)
	if err != nil {
		t.Fatal(err)
	}
	first := "directie@voorbeeld.example"
	d, err := svc.Ledger.QueueDelivery(ctx, dead.ID, "monthly", "2026-10", first, ledger.KindTo, "<x@kpireport.invalid>")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Ledger.MarkAttempt(ctx, d.ID, ledger.DeliverySent, "", now.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}

	res, err := svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerCatchUp, Send: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivery.Sent) != 2 || len(res.Delivery.Skipped) != 1 || res.Delivery.Skipped[0] != first {
		t.Errorf("delivery = %+v, want 2 sent and %s already sent", res.Delivery, first)
	}
	runs, err := svc.Ledger.Runs(ctx, "monthly", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].ID != dead.ID || runs[1].Status != ledger.RunFailed || !strings.HasPrefix(runs[1].Error, "interrupted") ||
		runs[0].Status != ledger.RunSucceeded || runs[0].Attempt != 2 {
		t.Errorf("runs = %+v, want the dead run interrupted and attempt 2 succeeded", runs)
	}
	if c, ok, _ := svc.Ledger.ClaimOf(ctx, "monthly", "2026-10"); ok {
		t.Errorf("claim %+v left after the run, want it released", c)
	}
}

// A run whose claim is taken over while it sends (it stalled past its lease, and
// another replica claimed the period) stops before the next message.
func TestRunStopsWhenClaimLost(t *testing.T) {
	svc, job, p, now := claimTestService(t)
	ctx := t.Context()
	outbox := svc.Deliverer.Sender
	var sent []string
	svc.Deliverer.Sender = senderFunc(func(ctx context.Context, m *delivery.Message, rcpt, id string) (bool, error) {
		if len(sent) == 0 {
			// While the first message goes out, the lease runs out and replica-b
			// claims the period.
			if ok, err := svc.Ledger.Claim(ctx, "monthly", "2026-10", "replica-b", time.Minute, now.Add(2*time.Minute)); !ok || err != nil {
				t.Errorf("replica-b's Claim = %v, %v", ok, err)
			}
		}
		sent = append(sent, rcpt)
		return outbox.Send(ctx, m, rcpt, id)
	})

	res, err := svc.Run(ctx, job, p, RunOptions{Trigger: ledger.TriggerScheduled, Send: true})
	if !errors.Is(err, ErrClaimLost) {
		t.Fatalf("Run = %v, want ErrClaimLost", err)
	}
	if len(sent) != 1 {
		t.Errorf("sent to %v after the claim was lost, want only the first", sent)
	}
	ds, err := svc.Ledger.Deliveries(ctx, "monthly", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	unsent := 0
	for _, d := range ds {
		if d.Status != ledger.DeliverySent {
			unsent++
		}
	}
	if unsent != 2 {
		t.Errorf("deliveries = %+v, want 2 still owed for replica-b", ds)
	}
	if res.Run.ID == 0 {
		t.Fatal("no run recorded")
	}
	runs, err := svc.Ledger.Runs(ctx, "monthly", 1)
	if err != nil || len(runs) != 1 || runs[0].Status != ledger.RunFailed || !strings.Contains(runs[0].Error, "claim") {
		t.Errorf("run = %+v, %v; want failed for the lost claim", runs, err)
	}
	if c, _, _ := svc.Ledger.ClaimOf(ctx, "monthly", "2026-10"); c.Node != "replica-b" {
		t.Errorf("claim held by %q after the run, want replica-b's left alone", c.Node)
	}
}
