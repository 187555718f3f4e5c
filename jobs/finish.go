package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/internal/panics"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// finish is deferred by Service.Run once the run is in the ledger. It turns a panic
// of the run into its error, says why a cancelled run ended (its claim was lost, or
// the job's timeout), records the run's outcome (succeeded, failed, or held by the
// data-quality gate) and files, logs it, and notifies the operators of a failure
// (notifyFailure), a hold (notifyHeld) or a recovery (notifyRecovered). *errp is
// the run's error; finish may add to it.
func (s *Service) finish(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, opt RunOptions, start time.Time, res *RunResult, errp *error) {
	if v := recover(); v != nil {
		*errp = recovered(ctx, log, "run", v)
	}
	err := *errp
	defer func() { *errp = err }()
	run := res.Run
	if err != nil && errors.Is(context.Cause(ctx), ErrClaimLost) && !errors.Is(err, ErrClaimLost) {
		err = fmt.Errorf("%w: %w", ErrClaimLost, err)
	}
	err = timeoutError(ctx, job, err)
	status, msg := ledger.RunSucceeded, ""
	if err != nil {
		status, msg = ledger.RunFailed, err.Error()
	} else if len(res.Held) > 0 {
		status, msg = ledger.RunHeld, "held: "+strings.Join(res.Held, "; ")
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
		log.LogAttrs(fctx, logLevel(opt, slog.LevelError), "run", attrs...)
		s.notifyFailure(fctx, log, job, p, run, err, res.Delivery)
		return
	}
	if status == ledger.RunHeld {
		attrs = append(attrs, slog.String("reasons", msg))
		log.LogAttrs(fctx, logLevel(opt, slog.LevelWarn), "run", attrs...)
		s.notifyHeld(fctx, log, job, p, run, res.Held)
		return
	}
	log.LogAttrs(fctx, slog.LevelInfo, "run", attrs...)
	if res.Delivery != nil && len(res.Delivery.Sent) > 0 {
		s.notifyRecovered(fctx, log, job, p, run)
	}
}

// logLevel is the level of the log line of a run that failed or was held: level, or
// Info for a manual run, whose caller reports the outcome (the command line prints
// it once, on stderr).
func logLevel(opt RunOptions, level slog.Level) slog.Level {
	if opt.Trigger == ledger.TriggerManual {
		return slog.LevelInfo
	}
	return level
}

// withJobTimeout returns ctx bounded by the job's timeout (none when it is 0), so
// that every run, manual or scheduled, ends in time: see timedOut.
func withJobTimeout(ctx context.Context, job *config.Job) (context.Context, context.CancelFunc) {
	if job.Timeout.Duration <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, job.Timeout.Duration, errJobTimeout)
}

// errJobTimeout is the cause of a run's context that the job's timeout ended.
var errJobTimeout = fmt.Errorf("job timeout: %w", context.DeadlineExceeded)

// timeoutError returns err, the error of a run of job with context ctx, saying that
// the job's timeout ended the run when it did.
func timeoutError(ctx context.Context, job *config.Job, err error) error {
	if err == nil || !errors.Is(context.Cause(ctx), errJobTimeout) {
		return err
	}
	return fmt.Errorf("run timed out after %s (jobs[%s].timeout): %w", job.Timeout.Duration, job.Name, err)
}

// recoverTo is deferred by a step of a run to turn a panic into *err: "what: panic:
// value" (no prefix when what is ""). The panic's stack goes to the debug log only.
func recoverTo(ctx context.Context, log *slog.Logger, err *error, what string) {
	if v := recover(); v != nil {
		if perr := recovered(ctx, log, what, v); *err == nil {
			*err = perr
		} else {
			*err = fmt.Errorf("%w; %w", *err, perr)
		}
	}
}

// recovered returns the error of v, a value recover returned in what, and logs the
// stack at debug level.
func recovered(ctx context.Context, log *slog.Logger, what string, v any) error {
	p := panics.New(v)
	logStack(ctx, log, p)
	if what == "" {
		return p
	}
	return fmt.Errorf("%s: %w", what, p)
}

// logStack logs, at debug level, the stack of the panic err holds, if any: a panic
// recovered in a goroutine of a source comes back as an error.
func logStack(ctx context.Context, log *slog.Logger, err error) {
	var p *panics.Error
	if errors.As(err, &p) {
		log.LogAttrs(ctx, slog.LevelDebug, "panic recovered", slog.String("error", p.Error()), slog.String("stack", string(p.Stack)))
	}
}
