// Package email composes the mail of a report: its subject from the job's template, an
// HTML body with the headline KPIs (templates/email.html.tmpl) and a plain-text
// alternative (templates/email.txt.tmpl). Delivery is package delivery's job.
package email

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/reports"
	"github.com/kpireport/kpireport/templates"
)

// Headline lists the KPIs the mail shows, in order.
var Headline = []string{
	kpi.IDRevenue, kpi.IDSales, kpi.IDSalesGrowth, kpi.IDMRR, kpi.IDAOV, kpi.IDProfitMargin,
	kpi.IDChurnRate, kpi.IDCAC, kpi.IDCLV, kpi.IDBookings, kpi.IDLeadConversionRate,
}

// Mail is a composed report mail.
type Mail struct {
	Subject string
	HTML    string
	Text    string
}

// Row is one KPI line of the mail.
type Row struct {
	Name, Value, Change string
	Status, StatusText  string
	Color               string // status badge colour
	Arrow, ArrowColor   string // ▲/▼ and green/red by the KPI's better-direction
}

// Data is what the body templates are executed with. Labels holds every label of the
// text catalogue (templates/labels.toml, or report.template_dir's) in the report's
// language, as {{.Labels.col_value}}; GeneratedText is its "generated" label filled in.
type Data struct {
	Lang, Company, Title, Period, Label, Intro, Generated string
	GeneratedText                                         string
	Labels                                                map[string]string
	Rows                                                  []Row
	Notes                                                 []string
	Attachments                                           []string
}

// Compose builds the mail of rep for a job whose subject template is subject (""
// for the default), with templateDir overriding the built-in body templates. tmpl is
// the job's report template: the mail's title is its title and its words come from
// its labels, as in the PDF and the workbook.
func Compose(rep *kpi.Report, tmpl *reports.Template, subject, templateDir string, attachments []string) (*Mail, error) {
	f := locale.New(rep.Lang, rep.Currency)
	title, err := tmpl.Title(rep)
	if err != nil {
		return nil, fmt.Errorf("mail title: %w", err)
	}
	labels := tmpl.Labels()
	if subject == "" {
		subject = config.DefaultSubject
	}
	st, err := config.ParseSubject(subject)
	if err != nil {
		return nil, fmt.Errorf("subject template: %w", err)
	}
	var sb strings.Builder
	if err := st.Execute(&sb, config.SubjectData{
		Company: rep.Company, Job: rep.Job, Title: title, Period: rep.Period.Label(), Label: f.Period(rep.Period),
	}); err != nil {
		return nil, fmt.Errorf("subject template: %w", err)
	}
	generated := rep.GeneratedAt
	if rep.Location != nil {
		generated = generated.In(rep.Location)
	}
	d := Data{
		Lang: rep.Lang, Company: rep.Company, Title: title, Period: f.Period(rep.Period),
		Label: rep.Period.Label(), Generated: f.DateTime(generated), Attachments: attachments,
		GeneratedText: labels.Text(rep.Lang, "generated", "time", f.DateTime(generated)),
		Labels:        labels.All(rep.Lang),
	}
	if rep.Incomplete() { // "December 2026 (to date: 1–3 December 2026)", in the body as in the subject
		d.Period += " (" + labels.ToDate(rep, f) + ")"
	}
	if rev, ok := rep.KPI(kpi.IDRevenue); ok {
		d.Intro = intro(f, labels, rep, rev, d.Period)
	}
	for _, id := range Headline {
		k, ok := rep.KPI(id)
		if !ok {
			continue
		}
		d.Rows = append(d.Rows, row(f, labels, k))
	}
	for _, k := range rep.KPIs {
		if !k.Value.OK() {
			d.Notes = append(d.Notes, k.Def.Name(rep.Lang)+": "+labels.Reason(rep.Lang, k.Value.Reason))
		}
	}
	// The mail shows changes against the previous period, not year-ago values.
	d.Notes = append(d.Notes, labels.BeforeDataNotes(rep, f, true, false)...)
	m := &Mail{Subject: oneLine(sb.String())}
	if rep.Incomplete() {
		m.Subject += " (" + labels.ToDate(rep, f) + ")"
	}
	if m.HTML, err = execute(templateDir, "email.html.tmpl", d, true); err != nil {
		return nil, err
	}
	if m.Text, err = execute(templateDir, "email.txt.tmpl", d, false); err != nil {
		return nil, err
	}
	return m, nil
}

// intro is the mail's first paragraph: revenue in periodText (the period, with
// the to-date range for a "to date" report), and its relative change against the
// previous period when there is one ("+47.1%", "-81,9 %"), in both languages.
func intro(f locale.Format, labels *reports.Labels, rep *kpi.Report, rev kpi.Result, periodText string) string {
	if !rev.ChangeRel.OK() {
		return labels.Text(rep.Lang, "mail_intro", "period", periodText, "value", f.Value(rev.Value, rev.Def.Unit))
	}
	return labels.Text(rep.Lang, "mail_intro_change", "period", periodText,
		"value", f.Value(rev.Value, rev.Def.Unit), "change", percentChange(f, rev.ChangeRel),
		"previous", f.Period(rep.Period.Prev()))
}

// percentChange formats a relative change with a sign: "+4.6%", "-2,5 %"; one that
// rounds to zero has none: "0.0%".
func percentChange(f locale.Format, v kpi.Value) string {
	s := f.Percent(v.V)
	if !strings.ContainsAny(s, "123456789") {
		return strings.TrimPrefix(s, "-")
	}
	if v.V.Sign() > 0 {
		s = "+" + s
	}
	return s
}

var statusColors = map[kpi.Status]string{
	kpi.StatusMet: "#2f855a", kpi.StatusNear: "#b7791f", kpi.StatusMissed: "#c53030", kpi.StatusInProgress: "#5b6573",
}

func row(f locale.Format, labels *reports.Labels, k kpi.Result) Row {
	r := Row{Name: k.Def.Name(f.Lang), Value: f.Value(k.Value, k.Def.Unit), Status: string(k.Status)}
	if k.ChangeRel.OK() && k.Def.Unit != kpi.Ratio {
		r.Change = percentChange(f, k.ChangeRel)
	} else if k.Change.OK() {
		r.Change = f.Change(k.Change, k.Def.Unit)
	}
	if c, ok := statusColors[k.Status]; ok {
		r.StatusText = labels.Status(f.Lang, k.Status)
		r.Color = c
	}
	// A change that shows as zero ("0.0 pp", "+0.0%") has no arrow.
	zero := k.Change.OK() && locale.ChangeRoundsToZero(k.Change.V, k.Def.Unit)
	if k.ChangeRel.OK() && k.Def.Unit != kpi.Ratio {
		zero = locale.PercentRoundsToZero(k.ChangeRel.V)
	}
	if k.Change.OK() && k.Change.V.Sign() != 0 && !zero {
		up := k.Change.V.Sign() > 0
		r.Arrow = "▼"
		if up {
			r.Arrow = "▲"
		}
		good := up == (k.Def.Better == kpi.HigherIsBetter)
		r.ArrowColor = "#c53030"
		if good {
			r.ArrowColor = "#2f855a"
		}
	}
	return r
}

// Check parses the body templates (those of templateDir, or the built-in ones) and
// executes them on sample data, so that a broken template or a misspelt field is
// found by `kpireport validate` rather than at a job's next run. The error names the
// file and the line.
func Check(templateDir string) error {
	labels, err := reports.LoadLabels(templateDir)
	if err != nil { // validate reports the broken labels.toml; check the mail on the built-in one
		if labels, err = reports.LoadLabels(""); err != nil {
			return err
		}
	}
	d := Data{
		Lang: "en", Company: "Example B.V.", Title: "Monthly sales report", Period: "October 2026",
		Label: "2026-10", Intro: "Sales revenue in October 2026: €1,234.56.", Generated: "1 November 2026 07:00 CET",
		GeneratedText: labels.Text("en", "generated", "time", "1 November 2026 07:00 CET"), Labels: labels.All("en"),
		Rows: []Row{{Name: "Sales revenue", Value: "€1,234.56", Change: "+€12.34 (+1.0%)", Status: "met",
			StatusText: "met", Color: "#1a7f37", Arrow: "▲", ArrowColor: "#1a7f37"}},
		Notes:       []string{"Customer acquisition cost: no spend data"},
		Attachments: []string{"monthly-2026-10.xlsx", "monthly-2026-10.pdf"},
	}
	var errs []error
	for _, name := range []string{"email.html.tmpl", "email.txt.tmpl"} {
		if _, err := execute(templateDir, name, d, strings.HasSuffix(name, ".html.tmpl")); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// execute runs the body template name, from templateDir when it has that file, else
// the built-in one. Both are strict: a missing field is an error.
func execute(templateDir, name string, d Data, html bool) (string, error) {
	src, origin, err := load(templateDir, name)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if html {
		t, err := htmltemplate.New(name).Option("missingkey=error").Parse(src)
		if err != nil {
			return "", fmt.Errorf("template %s: %w", origin, err)
		}
		err = t.Execute(&buf, d)
		if err != nil {
			return "", fmt.Errorf("template %s: %w", origin, err)
		}
		return buf.String(), nil
	}
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", origin, err)
	}
	if err := t.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("template %s: %w", origin, err)
	}
	return buf.String(), nil
}

func load(templateDir, name string) (src, origin string, err error) {
	if templateDir != "" {
		p := filepath.Join(templateDir, name)
		b, err := os.ReadFile(p)
		if err == nil {
			return string(b), p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("read template: %w", err)
		}
	}
	b, err := fs.ReadFile(templates.FS, name)
	if err != nil {
		return "", "", fmt.Errorf("built-in template %s: %w", name, err)
	}
	return string(b), "templates/" + name, nil
}

// oneLine folds line breaks so that data can never add a mail header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
