package cli

import (
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/period"
)

// now is the clock of the commands; tests replace it.
var now = time.Now

// nextRun returns the row of `kpireport next` for job j.
func nextRun(cfg *config.Config, j *config.Job) ([]string, error) {
	loc := cfg.Report.Location
	t, err := jobs.NextRun(j.Schedule, loc, now())
	if err != nil {
		return nil, err
	}
	kind, _ := period.ParseKind(j.Period)
	return []string{j.Name, j.Schedule, t.Format("Mon 2006-01-02 15:04 MST"), period.LastComplete(kind, t, loc).Label()}, nil
}
