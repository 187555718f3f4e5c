package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/period"
)

// sourceNoticeKey is the claim in the ledger that records the last notice of
// an unavailable data source: its expiry is when the next one may go out.
const (
	sourceNoticeJob    = "*"
	sourceNoticePeriod = "notice:source-unavailable"
	sourceNoticeEvery  = 24 * time.Hour
)

// NotifyUnavailableSource tells the operators that the data source is not
// available (problems, each "key: message") and which run will fail unless it
// is fixed — at most once every 24 hours: a claim in the ledger records the
// notice, so the rule holds across restarts and replicas. The daemon calls it
// at start; it sends nothing without operators or a sender.
func (s *Service) NotifyUnavailableSource(ctx context.Context, problems []string) {
	if !s.notifies() || len(problems) == 0 {
		return
	}
	log := s.Runner.logger()
	now := s.Runner.now()
	node := fmt.Sprintf("notice %d %d", os.Getpid(), now.UnixNano())
	ok, err := s.Ledger.Claim(ctx, sourceNoticeJob, sourceNoticePeriod, node, sourceNoticeEvery, now)
	switch {
	case err != nil:
		// The notice matters more than its limit: send it.
		log.LogAttrs(ctx, slog.LevelError, "source notice: record it in the ledger", slog.String("error", err.Error()))
	case !ok:
		log.LogAttrs(ctx, slog.LevelInfo, "source notice held back: the operators heard of it within 24h")
		return
	}
	c := s.Runner.Config
	nl := c.Report.Language == "nl"
	type firing struct {
		at   time.Time
		text string
	}
	var next []firing
	for _, j := range c.Jobs {
		t, err := NextRun(j.Schedule, c.Report.Location, now)
		if err != nil {
			continue // checked by config.Load
		}
		kind, _ := period.ParseKind(j.Period)
		on := " on "
		if nl {
			on = " op "
		}
		next = append(next, firing{t, j.Name + " " + period.LastComplete(kind, t, c.Report.Location).Label() + on + t.Format("2006-01-02 15:04")})
	}
	sort.SliceStable(next, func(i, k int) bool { return next[i].at.Before(next[k].at) })
	runs := make([]string, len(next))
	for i, f := range next {
		runs[i] = f.text
	}
	what := strings.Join(problems, "; ")
	var subject, text string
	switch {
	case nl:
		subject = "kpireport: gegevensbron niet beschikbaar"
		text = fmt.Sprintf("gegevensbron niet beschikbaar: %s; de volgende run, %s, mislukt tenzij dit wordt opgelost.\n", what, strings.Join(runs, "; "))
		text += "\nDeze melding komt hooguit eens per 24 uur.\n"
	default:
		subject = "kpireport: data source not available"
		text = fmt.Sprintf("data source not available: %s; the next run, %s, will fail unless it is fixed.\n", what, strings.Join(runs, "; "))
		text += "\nThis notice is sent at most once every 24 hours.\n"
	}
	if len(runs) > 1 {
		text = strings.Replace(text, "the next run, ", "the next runs, ", 1)
		text = strings.Replace(text, "de volgende run, ", "de volgende runs, ", 1)
	}
	s.notifyOperators(ctx, &config.Job{Name: "kpireport"}, subject, text, "source-unavailable", now.Unix())
	log.LogAttrs(ctx, slog.LevelInfo, "operators notified: data source not available")
}
