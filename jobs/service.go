package jobs

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/delivery/mailaddr"
	"github.com/kpireport/kpireport/email"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// Service runs jobs with a ledger: every run is recorded, and its mail goes to each
// recipient exactly once per (job, period), however often the period is run again.
//
// Several services (replicas) may share one ledger: before a run, a service claims the
// (job, period) in the ledger as Node for Lease, renews the claim while it works, and
// releases it when done. A period claimed by another node is skipped; a run whose claim
// is lost (it could not be renewed in time, and another node took over) is cancelled
// before it sends more.
type Service struct {
	Runner    *Runner
	Ledger    *ledger.Ledger
	Deliverer *delivery.Deliverer // nil: nothing is sent
	Sender    delivery.Sender     // for failure notices to delivery.operators
	Node      string              // this replica's name in claims; "" = config.DefaultNode()
	Lease     time.Duration       // how long a claim lasts unless renewed; 0 = config.DefaultLease
	// OneShot is set by a command that runs once and says its failure itself
	// (generate, backfill): a notice not sent is then logged at debug level.
	OneShot bool

	mu     sync.Mutex
	active map[string]bool // (job, period) keys this process is running
}

// RunOptions adjust one run.
type RunOptions struct {
	Trigger ledger.Trigger
	Send    bool   // mail the report to the job's recipients
	Resend  bool   // also to recipients that already have it
	OutDir  string // "" = report.output_dir
	// AllowIncomplete runs a period that has not ended: its report is "to date"
	// and the run never makes the period done (see CheckPeriod).
	AllowIncomplete bool
	// Force sends a report that the data-quality gate holds.
	Force bool
}

// RunResult is what one run did.
type RunResult struct {
	Run      ledger.Run
	Files    []reports.File
	Delivery *delivery.Report // nil when nothing was sent
	Skipped  bool             // a scheduled run found the period already done, or claimed
	// Held are the reasons the data-quality gate held the report (not sent);
	// the run is recorded as held.
	Held []string
	// Quality is the gate's verdict on the run's data; nil when it did not load.
	Quality *kpi.Quality
	// ClaimedBy is the node whose claim on the period made a scheduled or catch-up run
	// skip it; "" when the run was not skipped for a claim.
	ClaimedBy string
}

// NewSender returns the sender of the configured delivery mode: an outbox folder of
// .eml files, or the SMTP server.
func NewSender(c *config.Config) (delivery.Sender, error) {
	if c.Delivery.Mode == "smtp" {
		s, err := delivery.NewSMTPSender(delivery.SMTPConfig{
			Host:               c.SMTP.Host,
			Port:               c.SMTP.Port,
			TLS:                c.SMTP.TLS,
			Username:           c.SMTP.Username,
			Password:           delivery.Secret(c.SMTP.Password.Reveal()),
			Timeout:            c.SMTP.Timeout.Duration,
			MaxAttachmentBytes: int64(c.SMTP.MaxAttachmentMB) << 20,
		})
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		return s, nil
	}
	return delivery.NewOutbox(c.Delivery.OutboxDir,
		delivery.WithMaxAttachmentBytes(int64(c.SMTP.MaxAttachmentMB)<<20)), nil
}

// OpenLedger opens the ledger of c: the SQLite file at state.path, or the PostgreSQL
// database whose DSN state.dsn_env names.
func OpenLedger(ctx context.Context, c *config.Config) (*ledger.Ledger, error) {
	if c.State.Driver == "postgres" {
		return ledger.OpenPostgres(ctx, c.State.DSN.Reveal())
	}
	return ledger.Open(ctx, c.State.Path)
}

// OpenService opens the ledger of c and builds the service that runs its jobs.
func OpenService(ctx context.Context, c *config.Config, log *slog.Logger) (*Service, error) {
	l, err := OpenLedger(ctx, c)
	if err != nil {
		return nil, err
	}
	sender, err := NewSender(c)
	if err != nil {
		return nil, errors.Join(err, l.Close())
	}
	journal := delivery.NewJournal(JournalPath(c))
	replayJournal(ctx, log, journal, l)
	retries := c.Delivery.Retries
	if retries == 0 {
		retries = -1 // the file's 0 is "no retries"; the Policy's 0 is its default
	}
	return &Service{
		Runner: &Runner{Config: c, Logger: log},
		Ledger: l,
		Deliverer: &delivery.Deliverer{
			Sender:  sender,
			Ledger:  l,
			Logger:  log,
			Journal: journal,
			Policy: delivery.Policy{
				Retries:    retries,
				Backoff:    c.Delivery.Backoff.Duration,
				MaxBackoff: c.Delivery.MaxBackoff.Duration,
			},
		},
		Sender: sender,
		Node:   c.Cluster.Node,
		Lease:  c.Cluster.Lease.Duration,
	}, nil
}

// JournalPath returns the delivery journal of c (see delivery.Journal): beside
// the SQLite ledger, as <state.path>.journal, or for a PostgreSQL ledger
// kpireport-ledger.journal in the config file's folder.
func JournalPath(c *config.Config) string {
	if c.State.Driver != "postgres" && c.State.Path != "" {
		return c.State.Path + ".journal"
	}
	dir := "."
	if c.Path != "" {
		dir = filepath.Dir(c.Path)
	}
	return filepath.Join(dir, "kpireport-ledger.journal")
}

// replayJournal writes the sent deliveries that the journal kept, while the
// ledger was down, into the ledger: at start, before anything is sent. Facts
// it cannot write yet stay in the journal, and their recipients count as sent.
func replayJournal(ctx context.Context, log *slog.Logger, j *delivery.Journal, l *ledger.Ledger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	replayed, left, err := j.Replay(ctx, l)
	if replayed > 0 {
		log.LogAttrs(ctx, slog.LevelInfo, "delivery journal replayed into the ledger",
			slog.String("journal", j.Path()), slog.Int("facts", replayed))
	}
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "delivery journal not replayed: its recipients count as sent until it is",
			slog.String("journal", j.Path()), slog.Int("left", left), slog.String("error", err.Error()))
	}
}

func (s *Service) node() string {
	if s.Node == "" {
		return config.DefaultNode()
	}
	return s.Node
}

func (s *Service) lease() time.Duration {
	if s.Lease <= 0 {
		return config.DefaultLease
	}
	return s.Lease
}

// Close closes the ledger.
func (s *Service) Close() error { return s.Ledger.Close() }

// Run runs job for p: compute, render, and (with opt.Send) mail. A run whose data did
// not load or whose reports did not render sends nothing to the recipients; the
// operators get a short failure notice (for a period's first failed run in a row,
// then at most one a day, see notifyFailure) and, when a later run mails the report,
// a notice of that. The run and every delivery are in the ledger.
//
// The run holds the ledger's claim on (job, p) from before it starts until it is
// recorded. A scheduled or catch-up run of a period that another node has claimed is
// skipped (RunResult.ClaimedBy); a manual one fails with ErrClaimed.
func (s *Service) Run(ctx context.Context, job *config.Job, p period.Period, opt RunOptions) (res *RunResult, err error) {
	log := s.Runner.logger().With(slog.String("job", job.Name), slog.String("period", p.Label()))
	start := time.Now()
	// A panic before the run is in the ledger; finish records one after that.
	defer recoverTo(ctx, log, &err, "run")
	ctx, cancel := withJobTimeout(ctx, job)
	defer cancel()
	if err := s.Runner.CheckPeriod(p, opt.AllowIncomplete); err != nil {
		return nil, err
	}
	skipDone := opt.Trigger != ledger.TriggerManual && !opt.Resend
	if skipDone {
		if res, err := s.skipDone(ctx, log, job, p, opt); res != nil || err != nil {
			return res, err
		}
	}
	c, err := s.claim(ctx, job, p)
	if err != nil {
		return nil, err
	}
	if c.holder != "" {
		if opt.Trigger == ledger.TriggerManual {
			return nil, fmt.Errorf("%w: %s %s is claimed by %s", ErrClaimed, job.Name, p.Label(), c.holder)
		}
		log.LogAttrs(ctx, slog.LevelInfo, "run skipped: claimed by "+c.holder,
			slog.String("trigger", string(opt.Trigger)), slog.String("node", s.node()))
		res := &RunResult{Skipped: true}
		if !c.local {
			res.ClaimedBy = c.holder
		}
		return res, nil
	}
	defer c.release()
	ctx, stopRenewing := c.keep(ctx)
	defer stopRenewing()
	// Another node may have finished the period between the check and the claim.
	if skipDone {
		if res, err := s.skipDone(ctx, log, job, p, opt); res != nil || err != nil {
			return res, err
		}
	}
	// Runs of the period still running were left by a node that lost or dropped its
	// claim: the period is ours now.
	s.closeRunning(ctx, log, job.Name, p.Label())

	run, err := s.Ledger.StartRun(ctx, job.Name, p.Label(), opt.Trigger)
	if err != nil {
		return nil, err
	}
	res = &RunResult{Run: run}
	defer s.finish(ctx, log, job, p, opt, start, res, &err)

	rep, err := s.Runner.Compute(ctx, job, p)
	if err != nil {
		return res, err
	}
	res.Quality = rep.Quality
	if rep.Incomplete() {
		if err := s.Ledger.SetRunFlags(ctx, run.ID, ledger.RunFlags{Incomplete: true}); err != nil {
			return res, err
		}
	}
	res.Files, err = s.Runner.render(ctx, job, rep, opt.OutDir)
	if err != nil {
		return res, fmt.Errorf("render: %w", err)
	}
	if !s.sends(job, opt.Send) {
		return res, nil
	}
	// The data-quality gate: a report of data that is missing or cut off is
	// rendered but not sent, unless forced.
	if q := rep.Quality; q != nil && !q.Passed() {
		if !opt.Force {
			for _, is := range q.Issues {
				res.Held = append(res.Held, is.Text("en"))
			}
			return res, nil
		}
		if err := s.Ledger.SetRunFlags(ctx, run.ID, ledger.RunFlags{Incomplete: rep.Incomplete(), Forced: true}); err != nil {
			return res, err
		}
		log.LogAttrs(ctx, slog.LevelWarn, "sending a held report: --force", slog.String("reasons", q.Reasons("en")))
	}
	if c := s.Runner.Config; c.Delivery.Mode != "smtp" {
		if err := makeDir("delivery.outbox_dir", c.Delivery.OutboxDir); err != nil {
			return res, err
		}
	}
	msg, err := s.message(job, rep, res.Files)
	if err != nil {
		return res, err
	}
	if rep.Incomplete() {
		msg.Period = toDateLabel(p, rep.AsOf)
	}
	// Every send first renews the claim, so nothing goes out once it is lost.
	dl := *s.Deliverer
	dl.Sender = &claimedSender{Sender: s.Deliverer.Sender, claim: c}
	res.Delivery, err = dl.Deliver(ctx, run.ID, msg, opt.Resend)
	return res, err
}

// skipDone returns the result of a skipped run if the period is already done (see
// done), and nil if it is not.
func (s *Service) skipDone(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, opt RunOptions) (*RunResult, error) {
	run, ok, err := s.done(ctx, job, p, opt.Send)
	if err != nil || !ok {
		return nil, err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "run skipped: period already done",
		slog.String("trigger", string(opt.Trigger)), slog.Int64("run", run.ID))
	return &RunResult{Run: run, Skipped: true}, nil
}

// sends reports whether a run of job with Send set to send mails anything: it
// is asked to, there is a Deliverer, and the job has recipients.
func (s *Service) sends(job *config.Job, send bool) bool {
	return send && s.Deliverer != nil && len(job.Recipients)+len(job.CC)+len(job.BCC) > 0
}

// done reports whether (job, p) needs no further run, and returns its latest
// successful run. A period is done when it has a successful run and, for a run that
// sends, every current recipient (to, cc and bcc) of the job has the report or was
// refused permanently. A successful run that sent nothing (a backfill without
// --send), or one whose mail is still owed to someone (a resend that stopped half
// way, a recipient added to the job), leaves the period to be run again: the
// Deliverer then sends only to the recipients still owed it.
func (s *Service) done(ctx context.Context, job *config.Job, p period.Period, send bool) (ledger.Run, bool, error) {
	run, ok, err := s.Ledger.LastSuccess(ctx, job.Name, p.Label())
	if err != nil || !ok || !s.sends(job, send) {
		return run, ok, err
	}
	owed, err := s.Deliverer.Owed(ctx, &delivery.Message{
		Job: job.Name, Period: p.Label(), To: job.Recipients, Cc: job.CC, Bcc: job.BCC,
	})
	if err != nil {
		return run, false, err
	}
	return run, len(owed) == 0, nil
}

// closeRunning marks the runs of (job, label) that are still running as failed. It is
// called by the holder of the period's claim, so no other node is working on them.
func (s *Service) closeRunning(ctx context.Context, log *slog.Logger, job, label string) {
	runs, err := s.Ledger.Running(ctx)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "close interrupted runs", slog.String("error", err.Error()))
		return
	}
	for _, r := range runs {
		if r.Job != job || r.Period != label {
			continue
		}
		if err := s.Ledger.FinishRun(ctx, r.ID, ledger.RunFailed, interruptedMsg, nil); err != nil && !errors.Is(err, ledger.ErrRunFinished) {
			log.LogAttrs(ctx, slog.LevelError, "close interrupted run", slog.Int64("run", r.ID), slog.String("error", err.Error()))
			continue
		}
		log.LogAttrs(ctx, slog.LevelWarn, "closed interrupted run", slog.Int64("run", r.ID), slog.Int("attempt", r.Attempt))
	}
}

// interruptedMsg is the error of a run whose process stopped or lost its claim.
const interruptedMsg = "interrupted: the process stopped during the run"

// claim is a run's hold on its (job, period) in the ledger.
type claim struct {
	s            *Service
	job, period  string
	holder       string // another node that holds the period; "" when the claim is ours
	local        bool   // the holder is another run in this process
	cancel       context.CancelCauseFunc
	log          *slog.Logger
	mu           sync.Mutex
	lost         bool
	untrackLocal func()
}

// claim claims (job, p) for this node. When another node holds it, or this process
// runs it already, the claim's holder says who.
func (s *Service) claim(ctx context.Context, job *config.Job, p period.Period) (*claim, error) {
	c := &claim{s: s, job: job.Name, period: p.Label(), log: s.Runner.logger()}
	untrack, ok := s.trackLocal(c.job, c.period)
	if !ok {
		c.holder, c.local = s.node()+" (this process)", true
		return c, nil
	}
	c.untrackLocal = untrack
	ok, err := s.Ledger.Claim(ctx, c.job, c.period, s.node(), s.lease(), s.Runner.now())
	if err == nil && !ok {
		var held ledger.Claim
		held, _, err = s.Ledger.ClaimOf(ctx, c.job, c.period)
		if err == nil && deadLocalNode(held.Node) {
			ok, err = s.Ledger.TakeOver(ctx, c.job, c.period, held.Node, s.node(), s.lease(), s.Runner.now())
			if ok {
				c.log.LogAttrs(ctx, slog.LevelInfo, "took over the claim of a process that no longer runs",
					slog.String("job", c.job), slog.String("period", c.period), slog.String("from", held.Node))
			}
		}
		if !ok {
			c.holder = held.Node
			if c.holder == "" {
				c.holder = "another node" // released in between
			}
		}
	}
	if err != nil || !ok {
		c.untrackLocal()
	}
	return c, err
}

// periodKey is the key of a (job, period) in maps: no job name holds a NUL.
func periodKey(job, period string) string { return job + "\x00" + period }

// trackLocal marks (job, period) as worked on by this process, so that no other run
// of this process starts on it, and returns the function that unmarks it. It returns
// false if this process is working on it already.
func (s *Service) trackLocal(job, period string) (untrack func(), ok bool) {
	key := periodKey(job, period)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active[key] {
		return nil, false
	}
	if s.active == nil {
		s.active = map[string]bool{}
	}
	s.active[key] = true
	return func() {
		s.mu.Lock()
		delete(s.active, key)
		s.mu.Unlock()
	}, true
}

// keep renews the claim every third of the lease until the returned stop is called.
// If the claim cannot be renewed, the returned context is cancelled with ErrClaimLost.
func (c *claim) keep(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	c.cancel = cancel
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(c.s.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := c.renew(ctx); err != nil {
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-stopped
		cancel(nil)
	}
}

// renew extends the claim by a lease. When that fails (the ledger cannot be reached,
// or another node has taken the claim) the run is cancelled before it sends more: the
// claim may expire, and the other node may be sending.
func (c *claim) renew(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost {
		return ErrClaimLost
	}
	if err := ctx.Err(); err != nil {
		return err // the run is ending anyway; the claim is not known to be lost
	}
	ok, err := c.s.Ledger.Renew(ctx, c.job, c.period, c.s.node(), c.s.lease(), c.s.Runner.now())
	if err == nil && ok {
		return nil
	}
	if err == nil {
		err = ErrClaimLost
	} else {
		err = fmt.Errorf("%w: %w", ErrClaimLost, err)
	}
	c.lost = true
	c.log.LogAttrs(ctx, slog.LevelError, "claim lost: cancelling the run",
		slog.String("job", c.job), slog.String("period", c.period), slog.String("node", c.s.node()),
		slog.String("error", err.Error()))
	c.cancel(ErrClaimLost)
	return err
}

// release gives up the claim, also when the run's context has ended.
func (c *claim) release() {
	defer c.untrackLocal()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.s.Ledger.Release(ctx, c.job, c.period, c.s.node()); err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "release claim", slog.String("job", c.job),
			slog.String("period", c.period), slog.String("error", err.Error()))
	}
}

// claimedSender renews the run's claim before each message it hands to its Sender.
type claimedSender struct {
	delivery.Sender
	claim *claim
}

// Send sends nothing when the claim is lost; the delivery then stays unsent, and
// temporary, for whoever holds the claim now.
func (cs *claimedSender) Send(ctx context.Context, m *delivery.Message, rcpt, messageID string) (bool, error) {
	if err := cs.claim.renew(ctx); err != nil {
		return true, err
	}
	return cs.Sender.Send(ctx, m, rcpt, messageID)
}

// message composes the report mail of job with the rendered files attached.
func (s *Service) message(job *config.Job, rep *kpi.Report, files []reports.File) (*delivery.Message, error) {
	c := s.Runner.Config
	names := make([]string, len(files))
	atts := make([]delivery.Attachment, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f.Path)
		// The bytes rendered by this run: a file rewritten meanwhile (another
		// generate of the period) must not reach some recipients.
		atts[i] = delivery.Attachment{Path: f.Path, Name: names[i], ContentType: contentTypes[f.Format], Data: f.Data}
	}
	tmpl, err := reports.LoadTemplate(c.Report.TemplateDir, job.Template, rep.Period.Kind)
	if err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	mail, err := email.Compose(rep, tmpl, job.Subject, c.Report.TemplateDir, names)
	if err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	from := c.SMTP.From
	if from == "" {
		from = "kpireport@localhost"
	}
	return &delivery.Message{
		Job: job.Name, Period: rep.Period.Label(), From: from,
		To: job.Recipients, Cc: job.CC, Bcc: job.BCC, ReplyTo: job.ReplyTo,
		Subject: mail.Subject, HTML: mail.HTML, Text: mail.Text, Attachments: atts,
	}, nil
}

var contentTypes = map[string]string{
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// notifies reports whether there is anyone to notify: delivery.operators, and a
// Sender to reach them.
func (s *Service) notifies() bool {
	return len(s.Runner.Config.Delivery.Operators) > 0 && s.Sender != nil
}

// notifyFailure mails the operators a short failure notice of run, a failed run of
// (job, p), unless they heard of this period's failures lately: a period's first
// failed run in a row is notified, then at most one every 24 hours (see notified).
// The ledger's runs of the period are the record, so the rule holds across restarts
// and replicas; when they cannot be read, the notice goes out.
func (s *Service) notifyFailure(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, run ledger.Run, cause error, sent *delivery.Report) {
	if !s.notifies() {
		return
	}
	var streak []ledger.Run // the failed and held runs in a row, this one first
	runs, err := s.Ledger.PeriodRuns(ctx, job.Name, p.Label())
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "failure notice: read the runs of the period", slog.String("error", err.Error()))
	} else if st := failureStreak(runs); len(st) > 0 && st[0].ID == run.ID {
		if !notified(st)[0] {
			failed, held := streakCounts(st)
			log.LogAttrs(ctx, slog.LevelInfo, "failure notice held back: the operators heard of this period within 24h",
				slog.Int64("run", run.ID), slog.Int("failed_runs", failed), slog.Int("held_runs", held))
			return
		}
		streak = st
	}
	text := fmt.Sprintf("The %s run (attempt %d) of job %s for period %s failed at %s:\n\n%v\n\n",
		run.Trigger, run.Attempt, job.Name, p.Label(), s.Runner.now().Format(time.RFC3339), cause)
	text += s.recipientsText(ctx, log, job, p, sent)
	if len(streak) > 1 {
		if _, held := streakCounts(streak); held == 0 {
			text += fmt.Sprintf("\nThis period has failed %d runs in a row.", len(streak))
		} else {
			text += fmt.Sprintf("\nThis period has had %s in a row.", streakText(streak))
		}
	}
	text += "\nFurther failures of this period are notified at most once every 24 hours, and a notice follows when its report is sent.\n"
	s.notifyOperators(ctx, job, fmt.Sprintf("kpireport: run of %s for %s failed", job.Name, p.Label()),
		text, p.Label()+"-failure", run.ID)
}

// recipientsText is the part of a failure notice that says who has the report of
// (job, p) and who does not, and why (the server's last reply, as the ledger
// keeps it), with the command that sends it to only those missing. It reads the
// ledger; when that fails it tells what this run's delivery report knows.
func (s *Service) recipientsText(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, rep *delivery.Report) string {
	type line struct{ kind, rcpt, why string }
	var have, missing []line
	rows, err := s.Ledger.Deliveries(ctx, job.Name, p.Label())
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "failure notice: read the deliveries of the period", slog.String("error", err.Error()))
	}
	var journaled map[string]bool
	if s.Deliverer != nil && s.Deliverer.Journal != nil {
		journaled, _ = s.Deliverer.Journal.Sent(job.Name, p.Label())
	}
	switch {
	case err == nil && len(rows) > 0:
		byRcpt := map[string]ledger.Delivery{}
		for _, d := range rows {
			byRcpt[d.Recipient] = d
		}
		for _, r := range recipientKeys(job) {
			d, ok := byRcpt[r.addr]
			switch {
			case ok && d.Status == ledger.DeliverySent:
				have = append(have, line{r.kind, r.addr, "sent " + d.SentAt.In(s.Runner.Config.Report.Location).Format("2006-01-02 15:04:05")})
			case journaled[r.addr]:
				have = append(have, line{r.kind, r.addr, "sent (in the delivery journal, not yet in the ledger)"})
			case !ok:
				missing = append(missing, line{r.kind, r.addr, "not tried"})
			default:
				why := string(d.Status)
				if d.LastError != "" {
					why += ": " + oneLineText(d.LastError)
				}
				missing = append(missing, line{r.kind, r.addr, why})
			}
		}
	case rep != nil:
		for _, r := range rep.Sent {
			have = append(have, line{"", r, "sent by this run"})
		}
		for _, r := range rep.Skipped {
			have = append(have, line{"", r, "sent by an earlier run"})
		}
		for _, f := range rep.Failed {
			missing = append(missing, line{f.Kind, f.Recipient, oneLineText(f.Err.Error())})
		}
	}
	if len(have) == 0 {
		return fmt.Sprintf("Nothing was sent to the job's recipients for this period. See `kpireport history --job %s`.\n",
			shellQuote(job.Name))
	}
	var b strings.Builder
	write := func(title string, ls []line) {
		fmt.Fprintf(&b, "%s (%d):\n", title, len(ls))
		for _, l := range ls {
			who := l.rcpt
			if l.kind != "" {
				who = l.kind + " " + l.rcpt
			}
			fmt.Fprintf(&b, "  %s: %s\n", who, s.redact(l.why))
		}
		b.WriteString("\n")
	}
	write("These recipients have the report", have)
	if len(missing) == 0 {
		b.WriteString("Every recipient has the report.\n")
	} else {
		write("These recipients do not have it", missing)
		cfgPath := s.Runner.Config.Path
		if cfgPath == "" {
			cfgPath = "CONFIG.toml"
		}
		fmt.Fprintf(&b, "To send it to only those (the others are not mailed again), once the cause is fixed:\n\n"+
			"  kpireport generate --config %s --job %s --period %s --send\n",
			shellQuote(cfgPath), shellQuote(job.Name), shellQuote(p.Label()))
	}
	fmt.Fprintf(&b, "\nSee `kpireport history --job %s`.\n", shellQuote(job.Name))
	return b.String()
}

// recipientKey is a recipient of a job as the ledger keys it, with its kind.
type recipientKey struct{ addr, kind string }

// recipientKeys returns the to, cc and bcc recipients of job, each once, as the
// ledger keys them (the lower-cased address).
func recipientKeys(job *config.Job) []recipientKey {
	var out []recipientKey
	seen := map[string]bool{}
	for _, list := range []struct {
		kind  string
		addrs []string
	}{{ledger.KindTo, job.Recipients}, {ledger.KindCc, job.CC}, {ledger.KindBcc, job.BCC}} {
		for _, raw := range list.addrs {
			key := strings.TrimSpace(raw)
			if a, err := mailaddr.Parse(raw); err == nil {
				key = strings.ToLower(a.Address)
			}
			if key != "" && !seen[key] {
				seen[key] = true
				out = append(out, recipientKey{key, list.kind})
			}
		}
	}
	return out
}

// redact removes the SMTP password, in every form a reply can echo it, from a
// text for operators (the Sender's errors are redacted already; this is a
// second guard for the ledger's older rows).
func (s *Service) redact(text string) string {
	c := s.Runner.Config
	return delivery.NewRedactor(c.SMTP.Username, delivery.Secret(c.SMTP.Password.Reveal())).String(text)
}

// oneLineText joins the lines of an error text with "; ".
func oneLineText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// notifyRecovered mails the operators a short notice when run, a successful run of
// (job, p) that mailed the report to recipients, follows failed or held runs of the
// period of which they were notified (see notifyFailure, notifyHeld). It names them
// as they ended: "after 2 held runs", "after 1 failed run and 1 held run".
func (s *Service) notifyRecovered(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, run ledger.Run) {
	if !s.notifies() {
		return
	}
	runs, err := s.Ledger.PeriodRuns(ctx, job.Name, p.Label())
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "recovery notice: read the runs of the period", slog.String("error", err.Error()))
		return
	}
	if len(runs) == 0 || runs[0].ID != run.ID {
		return
	}
	streak := failureStreak(runs[1:])
	if !slices.Contains(notified(streak), true) {
		return // no failure, or none the operators heard of
	}
	failed := streakText(streak)
	text := fmt.Sprintf("The %s run (attempt %d) of job %s sent the report for period %s at %s, after %s.\n\n"+
		"See `kpireport history --job %s`.\n",
		run.Trigger, run.Attempt, job.Name, p.Label(), s.Runner.now().Format(time.RFC3339), failed, job.Name)
	s.notifyOperators(ctx, job, fmt.Sprintf("kpireport: %s %s sent after %s", job.Name, p.Label(), failed),
		text, p.Label()+"-recovered", run.ID)
}

// streakText names the runs of streak as they ended: "2 failed runs", "1 held
// run", "1 failed run and 2 held runs".
func streakText(streak []ledger.Run) string {
	failed, held := streakCounts(streak)
	switch {
	case held == 0:
		return plural(failed, "failed run")
	case failed == 0:
		return plural(held, "held run")
	}
	return plural(failed, "failed run") + " and " + plural(held, "held run")
}

// plural returns "n word" or "n words".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// notifyOperators mails a short notice to delivery.operators, as an outbox or SMTP
// message of job for the pseudo period label (so that it never collides with a
// report). Its Message-ID is derived from label and runID. It is best effort: a
// notice that cannot be sent is logged, never retried.
func (s *Service) notifyOperators(ctx context.Context, job *config.Job, subject, text, label string, runID int64) {
	c := s.Runner.Config
	from := c.SMTP.From
	if from == "" {
		from = "kpireport@localhost"
	}
	text = s.redact(text)
	m := &delivery.Message{
		Job: job.Name, Period: label, From: from, To: c.Delivery.Operators,
		Subject: subject, Text: text, HTML: "<pre>" + htmlEscape(text) + "</pre>",
	}
	for _, rcpt := range c.Delivery.Operators {
		id := delivery.MessageID(job.Name, fmt.Sprintf("%s-%d", label, runID), rcpt, "kpireport.invalid")
		if _, err := s.Sender.Send(ctx, m, rcpt, id); err != nil {
			s.Runner.logger().LogAttrs(ctx, s.noticeLevel(), "notice not sent", slog.String("subject", subject),
				slog.String("operator", rcpt), slog.String("error", err.Error()))
		}
	}
}

// noticeLevel is the level of the log line of a notice not sent: Error, or Debug
// for a one-shot command (OneShot), whose failure the command line says once, on
// one line; the notice's error merely repeats it (the same server, mostly).
func (s *Service) noticeLevel() slog.Level {
	if s.OneShot {
		return slog.LevelDebug
	}
	return slog.LevelError
}

func htmlEscape(s string) string { return html.EscapeString(s) }
