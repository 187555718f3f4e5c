// Package jobs runs kpireport's pipeline for one job and period: load the sources,
// compute the KPIs, render the reports (and, for scheduled runs, deliver them). Every
// step takes the run's context and logger.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
	"github.com/kpireport/kpireport/sources"
)

// Runner runs the jobs of one config.
type Runner struct {
	Config *config.Config
	Logger *slog.Logger
	Now    func() time.Time // nil = time.Now
	// AllTables makes Load read every table even after one fails, and report the
	// first bad row of each (sources.Options.AllTables), as validate does.
	AllTables bool
	// Render renders a computed report to files. Default (nil): reports.Generate.
	// A panic in it fails the run with the panic's message (see render).
	Render func(ctx context.Context, rep *kpi.Report, opt reports.Options) ([]reports.File, error)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Period resolves the period a job reports on: label when given, else the last complete
// period before now in the report's zone.
func (r *Runner) Period(job *config.Job, label string) (period.Period, error) {
	kind, err := period.ParseKind(job.Period)
	if err != nil {
		return period.Period{}, fmt.Errorf("job %s: %w", job.Name, err)
	}
	if label == "" {
		return period.LastComplete(kind, r.now(), r.Config.Report.Location), nil
	}
	p, err := period.ParseKindLabel(kind, label)
	if err != nil {
		return period.Period{}, fmt.Errorf("job %s: %w", job.Name, err)
	}
	return p, nil
}

// Compute loads the job's data for p and computes its report. A panic while it
// does is its error.
func (r *Runner) Compute(ctx context.Context, job *config.Job, p period.Period) (_ *kpi.Report, err error) {
	defer recoverTo(ctx, r.logger(), &err, fmt.Sprintf("compute %s %s", job.Name, p))
	start := time.Now()
	plan := r.Plan(p)
	data, err := r.Load(ctx, plan)
	if err != nil {
		return nil, err
	}
	rep, err := kpi.Compute(plan, data, r.options(job), r.Config.Report.Location)
	if err != nil {
		return nil, fmt.Errorf("compute %s %s: %w", job.Name, p, err)
	}
	rep.Job = job.Name
	rep.Company = r.Config.Report.Company
	rep.Currency = r.Config.Report.Currency
	rep.Lang = job.Lang(r.Config)
	rep.GeneratedAt = r.now().In(r.Config.Report.Location)
	r.gate(job, plan, data, rep)
	r.logger().LogAttrs(ctx, slog.LevelInfo, "computed",
		slog.String("job", job.Name), slog.String("period", p.Label()),
		slog.Duration("duration", time.Since(start).Round(time.Millisecond)))
	return rep, nil
}

// Plan returns the plan of a report on p made now: its Today is the runner's clock's
// day in the report's zone, so rows dated after it do not count for the watermark.
func (r *Runner) Plan(p period.Period) *kpi.Plan {
	plan := kpi.NewPlan(p)
	plan.Today = period.DateOf(r.now().In(r.Config.Report.Location))
	return plan
}

// Load opens the configured source and computes the measures of plan.
func (r *Runner) Load(ctx context.Context, plan *kpi.Plan) (_ *kpi.Data, err error) {
	opt := SourceOptions(r.Config)
	opt.AllTables = r.AllTables
	src, err := sources.Open(opt)
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close source: %w", cerr)
		}
	}()
	data, err := src.Load(ctx, plan)
	if err != nil {
		logStack(ctx, r.logger(), err) // a panic a source's goroutine recovered
		return nil, fmt.Errorf("load %s source: %w", r.Config.Source.Type, err)
	}
	for _, w := range data.Warnings {
		r.logger().LogAttrs(ctx, slog.LevelWarn, "data: "+w.String(),
			slog.String("warning", string(w.Code)), slog.Int64("count", w.Count), slog.String("example", w.Example))
	}
	return data, nil
}

func (r *Runner) options(job *config.Job) kpi.Options {
	targets := r.Config.TargetsOf(job)
	opt := kpi.Options{Targets: make(map[string]*big.Rat, len(targets))}
	for id, t := range targets {
		opt.Targets[id] = kpi.ParseTarget(t)
	}
	if y := r.Config.KPI.CLVLifespanYears; y > 0 {
		opt.CLVLifespanYears = kpi.ParseTarget(y)
	}
	return opt
}

// SourceOptions maps the [source] config to the sources package's options.
func SourceOptions(c *config.Config) sources.Options {
	s := c.Source
	opt := sources.Options{
		Type:             s.Type,
		Dir:              s.Dir,
		Path:             s.Path,
		DSN:              s.DSN.Reveal(),
		StatementTimeout: s.StatementTimeout.Duration, // 0: the source's default
		Delimiter:        ',',
		Decimal:          '.',
		Location:         c.Report.Location,
		Tables:           make(map[string]sources.Table, len(s.Tables)),
		Encoding:         s.Encoding,
		DateFormat:       s.DateFormat,
		Values:           s.Values,
		OrphanOrders:     s.OrphanOrders,
	}
	if s.Delimiter != "" {
		opt.Delimiter = s.Delimiter[0]
	}
	if s.Decimal != "" {
		opt.Decimal = s.Decimal[0]
	}
	for name, t := range s.Tables {
		opt.Tables[name] = sources.Table{File: t.File, Name: t.Table, Query: t.Query}
	}
	return opt
}

// Clock returns the runner's current time.
func (r *Runner) Clock() time.Time { return r.now() }

// explainer is a source that pushes the aggregation down into SQL and can show it.
type explainer interface {
	Explain(ctx context.Context, plan *kpi.Plan) ([]string, error)
}

// Explain returns the SQL statements the job's source runs for a report on p.
func (r *Runner) Explain(ctx context.Context, p period.Period) (_ []string, err error) {
	src, err := sources.Open(SourceOptions(r.Config))
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close source: %w", cerr)
		}
	}()
	ex, ok := src.(explainer)
	if !ok {
		return nil, fmt.Errorf("%w: a %s source reads its rows and aggregates them in kpireport; only postgres and mysql sources run SQL aggregations", ErrNoExplain, r.Config.Source.Type)
	}
	return ex.Explain(ctx, r.Plan(p))
}
