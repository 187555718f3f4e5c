package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/jobs"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/reports"
)

var kpisCmd = &command{
	name:    "kpis",
	summary: "compute the KPIs of a job for one period and print them",
	usage:   "kpis --config FILE --job NAME [--period LABEL] [--allow-incomplete] [--format table|json] [--explain]",
	help: `
Loads the job's data source, computes every KPI of the period with its previous and
year-ago value, change, target status and 12-period trend, and prints them: as an
aligned table in the report language, or as JSON (the shape is in docs/kpis.md).
--period is a label such as 2026-10 (month), 2026-W43 (ISO week) or 2026-Q3
(quarter); it defaults to the last complete period in the report's time zone. A
period that has not ended is refused unless --allow-incomplete (the KPIs are then
to date); one that has not started always. When the data fails the data-quality
gate ([quality]: min_orders, freshness, max_drop), each reason is printed as a
warning (on stderr with --format json): a scheduled run would hold the report.
With --explain a postgres or mysql source prints the SQL it runs for the period
(the aggregation is pushed down into the database) instead of computing.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		cfgPath := fs.String("config", "", "config file (TOML), required")
		jobName := fs.String("job", "", "job name from the config; default: the only job, if there is one")
		label := fs.String("period", "", "period label: 2026-10, 2026-W43 or 2026-Q3 (default: last complete period)")
		format := fs.String("format", "table", "output format: table or json")
		explain := fs.Bool("explain", false, "print the SQL a database source runs, instead of the KPIs")
		allowIncomplete := fs.Bool("allow-incomplete", false, "allow a period that has not ended: KPIs to date")
		return func(ctx context.Context, e *env, args []string) error {
			if *format != "table" && *format != "json" {
				return usagef("--format must be table or json, not %q", *format)
			}
			runner, job, err := loadJob(e, *cfgPath, *jobName, config.WithoutSMTPPassword())
			if err != nil {
				return err
			}
			p, err := runner.Period(job, *label)
			if err != nil {
				return usageError{err.Error()}
			}
			if err := checkPeriod(runner, p, *allowIncomplete); err != nil {
				return err
			}
			if *explain {
				stmts, err := runner.Explain(ctx, p)
				if err != nil {
					return err
				}
				_, err = io.WriteString(e.stdout, strings.Join(stmts, "\n\n")+"\n")
				return err
			}
			labels, err := reports.LoadLabels(runner.Config.Report.TemplateDir)
			if err != nil {
				return err
			}
			rep, err := runner.Compute(ctx, job, p)
			if err != nil {
				return err
			}
			if *format == "json" {
				b, err := rep.JSON(func(r kpi.Reason) string { return labels.Reason(rep.Lang, r) })
				if err != nil {
					return fmt.Errorf("encode json: %w", err)
				}
				_, err = e.stdout.Write(b)
				printQuality(e.stderr, rep, rep.Lang)
				return err
			}
			if err := printTable(e.stdout, rep, labels); err != nil {
				return err
			}
			printQuality(e.stdout, rep, rep.Lang)
			return nil
		}
	},
}

// loadJob loads the config with opts and finds the job (the only one when name
// is empty).
func loadJob(e *env, cfgPath, name string, opts ...config.LoadOption) (*jobs.Runner, *config.Job, error) {
	cfg, err := loadConfig(cfgPath, opts...)
	if err != nil {
		return nil, nil, err
	}
	if name == "" {
		if len(cfg.Jobs) != 1 {
			names := make([]string, len(cfg.Jobs))
			for i, j := range cfg.Jobs {
				names[i] = j.Name
			}
			return nil, nil, usagef("--job is required: the config has jobs %s", strings.Join(names, ", "))
		}
		name = cfg.Jobs[0].Name
	}
	job, err := cfg.Job(name)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	return &jobs.Runner{Config: cfg, Logger: e.logger()}, job, nil
}

// tableColumns are the labels of the table's columns.
var tableColumns = []string{"col_kpi", "col_value", "col_previous", "col_change", "col_year_ago", "col_target", "col_status"}

// printTable prints the report as an aligned table with the n/a reasons below it, in
// the words of labels, the text catalogue the PDF, the workbook and the mail use.
func printTable(w io.Writer, rep *kpi.Report, labels *reports.Labels) error {
	f := locale.New(rep.Lang, rep.Currency)
	rangeText := f.Date(rep.Start) + " – " + f.Date(rep.End.AddDate(0, 0, -1))
	if rep.Incomplete() {
		rangeText = labels.ToDate(rep, f) // "to date: 1–3 December 2026"
	}
	fmt.Fprintf(w, "%s · %s · %s (%s, %s)\n\n", rep.Company, rep.Job, f.Period(rep.Period), rangeText, rep.Location)
	header := make([]string, len(tableColumns))
	for i, key := range tableColumns {
		header[i] = labels.Text(rep.Lang, key)
	}
	rows := [][]string{header}
	var notes []string
	for _, k := range rep.KPIs {
		target := "-"
		if k.Target != nil {
			target = f.Value(kpi.Exact(k.Target), k.Def.Unit)
		}
		name := k.Def.Name(rep.Lang)
		if k.Def.ID == kpi.IDSales {
			name += fmt.Sprintf(" (%s)", f.Int(rep.Current.SalesCount))
		}
		rows = append(rows, []string{name,
			f.Value(k.Value, k.Def.Unit), f.Value(k.Previous, k.Def.Unit),
			f.Change(k.Change, k.Def.Unit), f.Value(k.YearAgo, k.Def.Unit), target,
			cmp.Or(labels.Status(rep.Lang, k.Status), "-")})
		if !k.Value.OK() {
			notes = append(notes, fmt.Sprintf("%s: %s", name, labels.Reason(rep.Lang, k.Value.Reason)))
		}
	}
	if err := writeAligned(w, rows); err != nil {
		return err
	}
	notes = append(notes, labels.BeforeDataNotes(rep, f, true, true)...)
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s:\n  %s\n", f.NA(), strings.Join(notes, "\n  "))
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s:\n", labels.Text(rep.Lang, "warnings"))
		for _, x := range rep.Warnings {
			fmt.Fprintf(w, "  %s\n", warningText(labels, rep.Lang, f, x))
		}
	}
	return nil
}

// warningText returns a warning about the data in lang.
func warningText(labels *reports.Labels, lang string, f locale.Format, w kpi.Warning) string {
	switch w.Code {
	case kpi.WarnOrphanOrders:
		return labels.Text(lang, "warn_orphan_orders", "count", f.Int(w.Count), "example", strconv.Quote(w.Example), "where", w.Where)
	case kpi.WarnFutureRows:
		return labels.Text(lang, "warn_future_rows", "count", f.Int(w.Count), "example", w.Example, "where", w.Where)
	}
	return w.String()
}

// writeAligned prints rows as columns two spaces apart: the first column left-aligned,
// the figures right-aligned, widths counted in characters (€ is one).
func writeAligned(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			switch {
			case i == 0:
				b.WriteString(cell + pad)
			case i == len(r)-1:
				b.WriteString("  " + cell)
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable prints rows as left-aligned columns two spaces apart.
func writeTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		line := ""
		for i, cell := range r {
			if i > 0 {
				line += "  "
			}
			line += cell + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
