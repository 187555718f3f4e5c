package jobs

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/email"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// Service runs jobs with a ledger: every run is recorded, and its mail goes to each
// recipient exactly once per (job, period), however often the period is run again.
type Service struct {
	Runner    *Runner
	Ledger    *ledger.Ledger
	Deliverer *delivery.Deliverer // nil: nothing is sent
	Sender    delivery.Sender     // for failure notices to delivery.operators
}

// RunOptions adjust one run.
type RunOptions struct {
	Trigger ledger.Trigger
	Send    bool   // mail the report to the job's recipients
	Resend  bool   // also to recipients that already have it
	OutDir  string // "" = report.output_dir
}

// RunResult is what one run did.
type RunResult struct {
	Run      ledger.Run
	Files    []reports.File
	Delivery *delivery.Report // nil when nothing was sent
	Skipped  bool             // a scheduled run found the period already done
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
	return delivery.NewOutbox(c.Delivery.OutboxDir), nil
}

// OpenService opens the ledger of c and builds the service that runs its jobs.
func OpenService(ctx context.Context, c *config.Config, log *slog.Logger) (*Service, error) {
	l, err := ledger.Open(ctx, c.State.Path)
	if err != nil {
		return nil, err
	}
	sender, err := NewSender(c)
	if err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return &Service{
		Runner: &Runner{Config: c, Logger: log},
		Ledger: l,
		Deliverer: &delivery.Deliverer{
			Sender: sender,
			Ledger: l,
			Logger: log,
			Policy: delivery.Policy{
				Retries:    c.Delivery.Retries,
				Backoff:    c.Delivery.Backoff.Duration,
				MaxBackoff: c.Delivery.MaxBackoff.Duration,
			},
		},
		Sender: sender,
	}, nil
}

// Close closes the ledger.
func (s *Service) Close() error { return s.Ledger.Close() }

// Run runs job for p: compute, render, and (with opt.Send) mail. A run whose data did
// not load or whose reports did not render sends nothing to the recipients; the
// operators get a short failure notice. The run and every delivery are in the ledger.
func (s *Service) Run(ctx context.Context, job *config.Job, p period.Period, opt RunOptions) (res *RunResult, err error) {
	log := s.Runner.logger().With(slog.String("job", job.Name), slog.String("period", p.Label()))
	start := time.Now()
	if opt.Trigger != ledger.TriggerManual && !opt.Resend {
		if run, ok, err := s.Ledger.LastSuccess(ctx, job.Name, p.Label()); err != nil {
			return nil, err
		} else if ok {
			log.LogAttrs(ctx, slog.LevelInfo, "run skipped: period already done",
				slog.String("trigger", string(opt.Trigger)), slog.Int64("run", run.ID))
			return &RunResult{Run: run, Skipped: true}, nil
		}
	}
	run, err := s.Ledger.StartRun(ctx, job.Name, p.Label(), opt.Trigger)
	if err != nil {
		return nil, err
	}
	res = &RunResult{Run: run}
	defer func() {
		status, msg := ledger.RunSucceeded, ""
		if err != nil {
			status, msg = ledger.RunFailed, err.Error()
		}
		var arts []ledger.Artifact
		for _, f := range res.Files {
			arts = append(arts, ledger.Artifact{Path: f.Path, SHA256: f.SHA256, Bytes: f.Bytes})
		}
		// The ledger must end consistent even when ctx was cancelled mid-run.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ferr := s.Ledger.FinishRun(fctx, run.ID, status, msg, arts); ferr != nil {
			err = errors.Join(err, ferr)
		}
		attrs := []slog.Attr{
			slog.String("trigger", string(opt.Trigger)), slog.Int64("run", run.ID),
			slog.Int("attempt", run.Attempt), slog.String("status", string(status)),
			slog.Duration("duration", time.Since(start).Round(time.Millisecond)),
		}
		if res.Delivery != nil {
			attrs = append(attrs, slog.Int("sent", len(res.Delivery.Sent)),
				slog.Int("already_sent", len(res.Delivery.Skipped)), slog.Int("failed", len(res.Delivery.Failed)))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
			log.LogAttrs(fctx, slog.LevelError, "run", attrs...)
			s.notifyOperators(fctx, job, p, run, err)
			return
		}
		log.LogAttrs(fctx, slog.LevelInfo, "run", attrs...)
	}()

	rep, err := s.Runner.Compute(ctx, job, p)
	if err != nil {
		return res, err
	}
	dir := opt.OutDir
	if dir == "" {
		dir = s.Runner.Config.Report.OutputDir
	}
	res.Files, err = reports.Generate(ctx, rep, reports.Options{
		Dir:         dir,
		Formats:     job.Formats,
		Filename:    job.Filename,
		TemplateDir: s.Runner.Config.Report.TemplateDir,
		Template:    job.Template,
		Logo:        s.Runner.Config.Report.Logo,
		Now:         s.Runner.Now,
	})
	if err != nil {
		return res, fmt.Errorf("render: %w", err)
	}
	if !opt.Send || len(job.Recipients)+len(job.CC)+len(job.BCC) == 0 || s.Deliverer == nil {
		return res, nil
	}
	msg, err := s.message(job, rep, res.Files)
	if err != nil {
		return res, err
	}
	res.Delivery, err = s.Deliverer.Deliver(ctx, run.ID, msg, opt.Resend)
	return res, err
}

// message composes the report mail of job with the rendered files attached.
func (s *Service) message(job *config.Job, rep *kpi.Report, files []reports.File) (*delivery.Message, error) {
	c := s.Runner.Config
	names := make([]string, len(files))
	atts := make([]delivery.Attachment, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f.Path)
		atts[i] = delivery.Attachment{Path: f.Path, Name: names[i], ContentType: contentTypes[f.Format]}
	}
	mail, err := email.Compose(rep, job.Subject, c.Report.TemplateDir, names)
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

// notifyOperators mails a short failure notice to delivery.operators. It is best
// effort: a notice that cannot be sent is logged, never retried.
func (s *Service) notifyOperators(ctx context.Context, job *config.Job, p period.Period, run ledger.Run, cause error) {
	c := s.Runner.Config
	if len(c.Delivery.Operators) == 0 || s.Sender == nil {
		return
	}
	from := c.SMTP.From
	if from == "" {
		from = "kpireport@localhost"
	}
	subject := fmt.Sprintf("kpireport: run of %s for %s failed", job.Name, p.Label())
	text := fmt.Sprintf("The %s run (attempt %d) of job %s for period %s failed at %s:\n\n%v\n\n"+
		"Nothing was sent to the job's recipients for this run. See `kpireport history --job %s`.\n",
		run.Trigger, run.Attempt, job.Name, p.Label(), s.Runner.now().Format(time.RFC3339), cause, job.Name)
	m := &delivery.Message{
		Job: job.Name, Period: p.Label() + "-failure", From: from, To: c.Delivery.Operators,
		Subject: subject, Text: text, HTML: "<pre>" + htmlEscape(text) + "</pre>",
	}
	for _, rcpt := range c.Delivery.Operators {
		id := delivery.MessageID(job.Name, fmt.Sprintf("%s-failure-%d", p.Label(), run.ID), rcpt, "kpireport.invalid")
		if _, err := s.Sender.Send(ctx, m, rcpt, id); err != nil {
			s.Runner.logger().LogAttrs(ctx, slog.LevelError, "failure notice not sent",
				slog.String("operator", rcpt), slog.String("error", err.Error()))
		}
	}
}

func htmlEscape(s string) string { return html.EscapeString(s) }
