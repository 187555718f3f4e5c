package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// notifyHeld mails the operators a notice that the data-quality gate held run,
// a run of (job, p), with its reasons and how to release it. As for failures
// (notifyFailure), a period's first held or failed run in a row is notified,
// then at most one every 24 hours; held runs count in the same streak.
func (s *Service) notifyHeld(ctx context.Context, log *slog.Logger, job *config.Job, p period.Period, run ledger.Run, reasons []string) {
	if !s.notifies() {
		return
	}
	runs, err := s.Ledger.PeriodRuns(ctx, job.Name, p.Label())
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "held notice: read the runs of the period", slog.String("error", err.Error()))
	} else if streak := failureStreak(runs); len(streak) > 0 && streak[0].ID == run.ID && !notified(streak)[0] {
		log.LogAttrs(ctx, slog.LevelInfo, "held notice held back: the operators heard of this period within 24h",
			slog.Int64("run", run.ID), slog.Int("runs", len(streak)))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The %s run (attempt %d) of job %s for period %s was held at %s: the data-quality gate\n"+
		"found the data incomplete, so the report was rendered but NOT sent to the job's recipients.\n\nReasons:\n",
		run.Trigger, run.Attempt, job.Name, p.Label(), s.Runner.now().Format(time.RFC3339))
	for _, r := range reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	fmt.Fprintf(&b, "\nThe daemon checks the data again on every resume and sends the report when it passes.\n"+
		"To send it as it is: kpireport generate --config %s --job %s --period %s --send --force\n"+
		"See `kpireport history --job %s`. Further held runs of this period are notified at most once every 24 hours.\n",
		s.Runner.Config.Path, job.Name, p.Label(), job.Name)
	s.notifyOperators(ctx, job, fmt.Sprintf("kpireport: %s %s held: data incomplete", job.Name, p.Label()),
		b.String(), p.Label()+"-held", run.ID)
}
