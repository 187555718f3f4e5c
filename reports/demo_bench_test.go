package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/demo"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
	_ "github.com/kpireport/kpireport/sources/csv"
)

// BenchmarkGenerateDemo renders the workbook and the PDF of the demo company's
// monthly report (the data `make demo` writes), as `kpireport generate` does after
// computing it; loading and computing are not timed.
func BenchmarkGenerateDemo(b *testing.B) {
	for _, lang := range []string{"nl", "en"} {
		b.Run(lang, func(b *testing.B) {
			res, err := demo.Generate(context.Background(), demo.Options{
				Dir: b.TempDir(), Format: "csv", End: time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC),
			})
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := config.Load(res.ConfigPath)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Report.Language = lang
			job, err := cfg.Job("monthly")
			if err != nil {
				b.Fatal(err)
			}
			runner := &jobs.Runner{Config: cfg}
			rep, err := runner.Compute(context.Background(), job, period.Period{Kind: period.Month, Year: 2026, N: 10})
			if err != nil {
				b.Fatal(err)
			}
			opt := reports.Options{Dir: b.TempDir(), Formats: job.Formats, Filename: job.Filename, Template: job.Template}
			b.ReportAllocs()
			var files []reports.File
			for b.Loop() {
				if files, err = reports.Generate(context.Background(), rep, opt); err != nil {
					b.Fatal(err)
				}
			}
			for _, f := range files {
				b.ReportMetric(float64(f.Bytes), f.Format+"-bytes")
			}
		})
	}
}
