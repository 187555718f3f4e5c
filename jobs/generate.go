package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// GenerateOptions adjust one generate run.
type GenerateOptions struct {
	OutDir string // "" = report.output_dir
}

// Generate computes the job's report for p and renders its formats to files,
// within the job's timeout.
func (r *Runner) Generate(ctx context.Context, job *config.Job, p period.Period, opt GenerateOptions) (_ []reports.File, err error) {
	ctx, cancel := withJobTimeout(ctx, job)
	defer cancel()
	defer func() { err = timeoutError(ctx, job, err) }()
	rep, err := r.Compute(ctx, job, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	files, err := r.render(ctx, job, rep, opt.OutDir)
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", job.Name, p, err)
	}
	r.logger().LogAttrs(ctx, slog.LevelInfo, "rendered",
		slog.String("job", job.Name), slog.String("period", p.Label()),
		slog.Int("files", len(files)), slog.Duration("duration", time.Since(start).Round(time.Millisecond)))
	return files, nil
}

// RenderReport renders rep, the report of job computed by Compute, into dir as a run
// would (validate renders into a temporary folder so). A panic of the renderer is its
// error.
func (r *Runner) RenderReport(ctx context.Context, job *config.Job, rep *kpi.Report, dir string) ([]reports.File, error) {
	return r.render(ctx, job, rep, dir)
}

// render renders rep, the report of job, into dir (default: report.output_dir) with
// r.Render (default: reports.Generate). A panic of the renderer is its error.
func (r *Runner) render(ctx context.Context, job *config.Job, rep *kpi.Report, dir string) (_ []reports.File, err error) {
	defer recoverTo(ctx, r.logger(), &err, "")
	key := "--out"
	if dir == "" {
		dir, key = r.Config.Report.OutputDir, "report.output_dir"
	}
	if err := makeDir(key, dir); err != nil {
		return nil, err
	}
	render := r.Render
	if render == nil {
		render = reports.Generate
	}
	return render(ctx, rep, reports.Options{
		Dir:         dir,
		Formats:     job.Formats,
		Filename:    job.Filename,
		TemplateDir: r.Config.Report.TemplateDir,
		Template:    job.Template,
		Logo:        r.Config.Report.Logo,
		Fonts:       r.Config.Report.Fonts,
		Logger:      r.logger().With("job", job.Name, "period", rep.Period.Label()),
		Now:         r.Now,
	})
}
