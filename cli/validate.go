package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/email"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

var validateCmd = &command{
	name:    "validate",
	summary: "check a config, its templates, that every table of its data source loads and that every job renders",
	usage:   "validate --config FILE",
	help: `
Checks the config (every problem at once, with its key path), loads the report
template of every job and the mail templates (the built-in ones, or their
replacements in report.template_dir), then reads every table of the data source and checks every row
against the data contract (docs/kpis.md): up to 20 bad rows per table, with how
many more there are; orders whose customer_id is not in customers are a warning (an
error with source.orphan_orders = "error"). A broken template is reported with its
file and line. Then it runs each job's last complete period through the whole
pipeline but the mail and the ledger (load, compute, render into a temporary folder
that is removed afterwards), so that a report that cannot be rendered is found before
the first scheduled run ("jobs[monthly]: render 2026-11: ..."). Exits 0 when all is
well, 1 with each problem on its own line otherwise. For each job it then prints, as warnings, why the data-quality gate
([quality]) would hold the report of its last complete period (exit 0).`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		return func(ctx context.Context, e *env, args []string) error {
			cfg, err := loadConfig(*cfgPath)
			if err != nil {
				return err
			}
			tmplErr := errors.Join(checkTemplates(cfg), email.Check(cfg.Report.TemplateDir), checkDirs(cfg))
			runner := &jobs.Runner{Config: cfg, Logger: e.logger(), AllTables: true}
			// Every row is parsed and checked whatever the plan; the plan only decides
			// which windows are summed.
			p := period.LastComplete(period.Month, runner.Clock(), cfg.Report.Location)
			data, loadErr := runner.Load(ctx, runner.Plan(p))
			if err := errors.Join(tmplErr, loadErr); err != nil {
				return err
			}
			for _, w := range data.Warnings {
				fmt.Fprintf(e.stdout, "%s: warning: %s\n", cfg.Path, w)
			}
			// Each job's last complete period through the whole pipeline but the mail
			// and the ledger: computed, and rendered into a temporary folder, so that a
			// report that cannot be rendered (a logo that is no image, a template that
			// fails on the data) is found before the first scheduled run. Also what
			// the data-quality gate would hold.
			tmp, err := os.MkdirTemp("", "kpireport-validate-")
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			defer os.RemoveAll(tmp)
			var errs []error
			for i := range cfg.Jobs {
				job := &cfg.Jobs[i]
				p, err := runner.Period(job, "")
				if err != nil {
					return err
				}
				rep, err := runner.Compute(ctx, job, p)
				if err != nil {
					errs = append(errs, fmt.Errorf("jobs[%s]: %w", job.Name, err))
					continue
				}
				if _, err := runner.RenderReport(ctx, job, rep, filepath.Join(tmp, job.Name)); err != nil {
					errs = append(errs, fmt.Errorf("jobs[%s]: render %s: %w", job.Name, p.Label(), err))
					continue
				}
				printQuality(e.stdout, rep, "en")
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: config ok, templates ok, %s source loads, every job renders (%s)\n", cfg.Path, cfg.Source.Type, jobCount(len(cfg.Jobs)))
			return nil
		}
	},
}

// jobCount returns "1 job" or "n jobs".
func jobCount(n int) string {
	if n == 1 {
		return "1 job"
	}
	return fmt.Sprintf("%d jobs", n)
}

// checkTemplates loads the report template of every job as a run would, with the
// config's template_dir, so that a broken template is found now rather than at the
// job's next run. Each problem is reported once, naming the first job that has it.
func checkTemplates(cfg *config.Config) error {
	var errs []error
	seen := map[string]bool{}
	for _, job := range cfg.Jobs {
		kind, err := period.ParseKind(job.Period)
		if err != nil {
			continue // the config's validation has reported it
		}
		if _, err := reports.LoadTemplate(cfg.Report.TemplateDir, job.Template, kind); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, fmt.Errorf("jobs[%s]: %w", job.Name, err))
		}
	}
	return errors.Join(errs...)
}

// checkDirs checks that the folders a run writes to can be created and written:
// report.output_dir, and delivery.outbox_dir unless mail goes by SMTP.
func checkDirs(cfg *config.Config) error {
	err := jobs.CheckDir("report.output_dir", cfg.Report.OutputDir)
	if cfg.Delivery.Mode != "smtp" {
		err = errors.Join(err, jobs.CheckDir("delivery.outbox_dir", cfg.Delivery.OutboxDir))
	}
	return err
}
