package reports

import (
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// textData is what the text/templates of a report template see: the report's context
// as formatted strings, and methods that format a KPI by id. An unknown id is an
// error, so a typo fails the template instead of printing nothing.
type textData struct {
	Company        string
	Job            string
	Currency       string // ISO 4217 code
	Lang           string // "en" or "nl"
	Period         string // "October 2026"
	Label          string // "2026-10"
	PreviousPeriod string
	YearAgoPeriod  string
	Start, End     string // first and last day of the period
	Generated      string // date and time of the run, in the report's zone

	rep *kpi.Report
	f   locale.Format
	t   *Template
}

func newTextData(rep *kpi.Report, t *Template) textData {
	f := locale.New(rep.Lang, rep.Currency)
	loc := rep.Location
	if loc == nil {
		loc = time.UTC
	}
	return textData{
		Company:        rep.Company,
		Job:            rep.Job,
		Currency:       rep.Currency,
		Lang:           rep.Lang,
		Period:         f.Period(rep.Period),
		Label:          rep.Period.Label(),
		PreviousPeriod: f.Period(rep.Period.Prev()),
		YearAgoPeriod:  f.Period(rep.Period.YearAgo()),
		Start:          f.Date(rep.Start),
		End:            f.Date(lastCovered(rep)),
		Generated:      f.DateTime(rep.GeneratedAt.In(loc)),
		rep:            rep,
		f:              f,
		t:              t,
	}
}

// lastDay returns the last day of the report's period.
func lastDay(rep *kpi.Report) time.Time { return rep.End.AddDate(0, 0, -1) }

// lastCovered returns the last day the report's figures cover: its AsOf day for
// a "to date" report (the intro says "1 December 2026 to 3 December 2026"), else
// the period's last day.
func lastCovered(rep *kpi.Report) time.Time {
	if rep.Incomplete() {
		return rep.AsOf.In(rep.Start.Location())
	}
	return lastDay(rep)
}

func (d textData) result(id string) (kpi.Result, error) {
	if r, ok := d.rep.KPI(id); ok {
		return r, nil
	}
	if _, ok := kpi.Lookup(id); ok {
		return kpi.Result{}, fmt.Errorf("the report has no KPI %q", id)
	}
	return kpi.Result{}, fmt.Errorf("unknown KPI %q", id)
}

// Name returns the KPI's name in the report language.
func (d textData) Name(id string) (string, error) {
	r, err := d.result(id)
	return r.Def.Name(d.Lang), err
}

// KPI returns the KPI's value, formatted: "€1,234.56", "12.5%", "n/a".
func (d textData) KPI(id string) (string, error) {
	r, err := d.result(id)
	return d.f.Value(r.Value, r.Def.Unit), err
}

// Previous returns the KPI's value in the previous period, formatted.
func (d textData) Previous(id string) (string, error) {
	r, err := d.result(id)
	return d.f.Value(r.Previous, r.Def.Unit), err
}

// YearAgo returns the KPI's value a year earlier, formatted.
func (d textData) YearAgo(id string) (string, error) {
	r, err := d.result(id)
	return d.f.Value(r.YearAgo, r.Def.Unit), err
}

// Change returns value − previous with its sign: "+€120.00", "-2.5 pp".
func (d textData) Change(id string) (string, error) {
	r, err := d.result(id)
	return d.f.Change(r.Change, r.Def.Unit), err
}

// ChangePct returns the relative change with its sign: "+4.6%", or n/a.
func (d textData) ChangePct(id string) (string, error) {
	r, err := d.result(id)
	if err != nil || !r.ChangeRel.OK() {
		return d.f.NA(), err
	}
	return signedPercent(d.f, r.ChangeRel.V), nil
}

// Target returns the KPI's target, formatted, or "" when it has none.
func (d textData) Target(id string) (string, error) {
	r, err := d.result(id)
	if err != nil || r.Target == nil {
		return "", err
	}
	return d.f.Rat(r.Target, r.Def.Unit), nil
}

// Status returns the target status (met, near, missed) or "".
func (d textData) Status(id string) (string, error) {
	r, err := d.result(id)
	if err != nil {
		return "", err
	}
	return d.t.statusLabel(d.Lang, r.Status), nil
}

// Reason returns why the KPI is n/a, or "".
func (d textData) Reason(id string) (string, error) {
	r, err := d.result(id)
	if err != nil || r.Value.OK() {
		return "", err
	}
	return d.t.labels.Reason(d.Lang, r.Value.Reason), nil
}

// OK reports whether the KPI has a value.
func (d textData) OK(id string) (bool, error) {
	r, err := d.result(id)
	return r.Value.OK(), err
}

// HasChange reports whether the KPI has a relative change against the previous period.
func (d textData) HasChange(id string) (bool, error) {
	r, err := d.result(id)
	return r.ChangeRel.OK(), err
}

// sampleData returns the data templates are tried on when they are loaded: a report
// with every value defined and one with every value n/a, in both languages.
var sampleData = sync.OnceValue(func() []textData {
	var out []textData
	sample := &Template{labels: &Labels{texts: map[string]map[string]string{}}}
	for _, lang := range locale.Languages {
		sample.labels.texts[lang] = map[string]string{}
		for key := range labelKeys {
			sample.labels.texts[lang][key] = key
		}
	}
	for _, defined := range []bool{true, false} {
		p := period.Period{Kind: period.Month, Year: 2026, N: 10}
		rep := &kpi.Report{Job: "job", Company: "Company", Currency: "EUR", Location: time.UTC, Period: p}
		rep.Start, rep.End = p.Bounds(time.UTC)
		rep.GeneratedAt = rep.End
		for _, def := range kpi.Defs {
			r := kpi.Result{Def: def, Status: kpi.StatusNone}
			v := kpi.NA(kpi.NoSales)
			if defined {
				v = kpi.Exact(big.NewRat(1, 1))
				r.Target, r.Status = big.NewRat(1, 1), kpi.StatusMet
			}
			r.Value, r.Previous, r.Change, r.ChangeRel, r.YearAgo = v, v, v, v, v
			rep.KPIs = append(rep.KPIs, r)
		}
		for _, lang := range locale.Languages {
			rep := *rep
			rep.Lang = lang
			out = append(out, newTextData(&rep, sample))
		}
	}
	return out
})

// toDateText says that rep covers its period only up to its AsOf day (Labels.ToDate).
func toDateText(t *Template, rep *kpi.Report, f locale.Format) string {
	return t.labels.ToDate(rep, f)
}

// ToDate says, in rep's language, that rep covers its period only up to its AsOf
// day: "to date: 1–3 December 2026", "tot nu toe: van 1 tot en met 3 december
// 2026" (label to_date). The PDF, the workbook, the mail and kpis use it.
func (l *Labels) ToDate(rep *kpi.Report, f locale.Format) string {
	start, end := rep.Start, rep.AsOf.In(rep.Start.Location())
	from := f.Date(start)
	switch {
	case start.Year() == end.Year() && start.Month() == end.Month():
		from = fmt.Sprint(start.Day())
	case start.Year() == end.Year():
		from = fmt.Sprintf("%d %s", start.Day(), f.MonthName(start.Month()))
	}
	return l.Text(rep.Lang, "to_date", "start", from, "end", f.Date(end))
}
