package jobs

import (
	"errors"
	"fmt"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

// CheckPeriod refuses a period that cannot be reported on now, in the report's
// zone: one that has not started (always), and one that has not ended unless
// allowIncomplete (its report is then "to date"). The error is a *PeriodError.
func (r *Runner) CheckPeriod(p period.Period, allowIncomplete bool) error {
	loc := r.Config.Report.Location
	start, end := p.Bounds(loc)
	now := r.now()
	switch {
	case now.Before(start):
		return &PeriodError{Period: p, At: start, Err: ErrFuture}
	case now.Before(end) && !allowIncomplete:
		return &PeriodError{Period: p, At: end, Err: ErrIncomplete}
	}
	return nil
}

// PeriodError is a period that cannot be reported on yet: Err is ErrFuture (At is
// its start) or ErrIncomplete (At is its end).
type PeriodError struct {
	Period period.Period
	At     time.Time
	Err    error
}

func (e *PeriodError) Error() string {
	at := e.At.Format("2006-01-02 15:04") + " " + e.At.Location().String()
	if errors.Is(e.Err, ErrFuture) {
		return fmt.Sprintf("period %s has not started (it starts %s); there is no data to report yet", e.Period.Label(), at)
	}
	return fmt.Sprintf("period %s has not ended (it ends %s); use --allow-incomplete for a report to date", e.Period.Label(), at)
}

func (e *PeriodError) Unwrap() error { return e.Err }

// gate runs the data-quality gate of job on rep, whose data was loaded for
// plan, and marks a report of a period that has not ended as "to date" (AsOf).
func (r *Runner) gate(job *config.Job, plan *kpi.Plan, data *kpi.Data, rep *kpi.Report) {
	loc := r.Config.Report.Location
	_, end := plan.Period.Bounds(loc)
	until := end
	if now := r.now().In(loc); now.Before(end) {
		rep.AsOf, until = now, now
		for i := range rep.KPIs { // a period in progress has not missed its target yet
			if rep.KPIs[i].Target != nil {
				rep.KPIs[i].Status = kpi.StatusInProgress
			}
		}
	}
	rules := r.Config.QualityOf(job)
	rep.Quality = kpi.CheckQuality(plan, data, kpi.QualityRules{
		MinOrders: rules.MinOrders, Freshness: rules.Freshness, MaxDrop: rules.MaxDrop,
	}, loc, until)
}

// toDateLabel is the delivery key of a report "to date" of p: deliveries of it
// never count for p itself, so the complete report still goes to everyone.
func toDateLabel(p period.Period, asOf time.Time) string {
	return p.Label() + "~to-" + asOf.Format("2006-01-02")
}
