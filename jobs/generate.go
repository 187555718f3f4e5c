package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

// GenerateOptions adjust one generate run.
type GenerateOptions struct {
	OutDir string // "" = report.output_dir
}

// Generate computes the job's report for p and renders its formats to files.
func (r *Runner) Generate(ctx context.Context, job *config.Job, p period.Period, opt GenerateOptions) ([]reports.File, error) {
	rep, err := r.Compute(ctx, job, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	dir := opt.OutDir
	if dir == "" {
		dir = r.Config.Report.OutputDir
	}
	files, err := reports.Generate(ctx, rep, reports.Options{
		Dir:         dir,
		Formats:     job.Formats,
		Filename:    job.Filename,
		TemplateDir: r.Config.Report.TemplateDir,
		Template:    job.Template,
		Logo:        r.Config.Report.Logo,
		Fonts:       r.Config.Report.Fonts,
		Logger:      r.logger().With("job", job.Name, "period", p.Label()),
		Now:         r.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", job.Name, p, err)
	}
	r.logger().LogAttrs(ctx, slog.LevelInfo, "rendered",
		slog.String("job", job.Name), slog.String("period", p.Label()),
		slog.Int("files", len(files)), slog.Duration("duration", time.Since(start).Round(time.Millisecond)))
	return files, nil
}
