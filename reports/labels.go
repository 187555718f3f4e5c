package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/templates"
)

// labelKeys are the labels the built-in labels.toml defines in every language, each
// with the placeholders its text must contain; an override may define only some.
var labelKeys = map[string][]string{
	"sheet_summary": nil, "sheet_measures": nil, "sheet_trend": nil,
	"sheet_by_rep": nil, "sheet_by_region": nil, "sheet_definitions": nil,

	"col_kpi": nil, "col_value": nil, "col_previous": nil, "col_change": nil, "col_change_pct": nil,
	"col_year_ago": nil, "col_target": nil, "col_status": nil, "col_note": nil, "col_key": nil,
	"col_measure": nil, "col_definition": nil, "col_period": nil, "col_formula": nil, "col_unit": nil,
	"col_better": nil, "col_na_when": nil, "col_rep": nil, "col_region": nil, "col_revenue": nil,
	"col_sales_count": nil, "col_aov": nil, "col_bookings": nil, "col_won_deals": nil,
	"col_cycle_days": nil, "col_avg_cycle": nil, "col_sales_calls": nil, "col_qualified_leads": nil,
	"col_leads_created": nil, "col_leads_converted": nil, "col_lead_conversion": nil,

	"status_met": nil, "status_near": nil, "status_missed": nil, "status_in_progress": nil,

	"unit_money": {"currency"}, "unit_money_per_day": {"currency"}, "unit_ratio": nil,
	"unit_days": nil, "unit_count": nil, "better_higher": nil, "better_lower": nil,

	"total": nil, "no_rep": nil, "no_region": nil, "no_rows": nil,
	"generated":            {"time"},
	"page_n_of_m":          {"n", "m"},
	"period_range":         {"start", "end"},
	"to_date":              {"start", "end"},
	"vs_previous":          {"value"},
	"target":               {"value"},
	"sales_count_note":     {"count"},
	"sales_count_note_one": {"count"},
	"note_value":           nil,
	"note_previous":        {"period"},
	"note_year_ago":        {"period"},
	"notes_empty":          nil,
	"chart_no_data":        nil,

	"mail_intro":        {"period", "value"},
	"mail_intro_change": {"period", "value", "change", "previous"},
	"not_available":     nil,
	"attached":          nil,

	"warnings":           nil,
	"warn_orphan_orders": {"count", "example", "where"},
	"warn_future_rows":   {"count", "example", "where"},
}

// The reason a value is n/a is the label "reason_" + its code.
func init() {
	for _, r := range kpi.Reasons {
		labelKeys["reason_"+string(r)] = nil
	}
}

// sheetNameBad are the characters Excel does not allow in a sheet name.
const sheetNameBad = `[]:*?/\`

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Labels is the text catalogue of every output: the labels of labels.toml in each
// report language. The PDF, the workbook, the mail and the `kpis` command all take
// their words from it, so a status reads the same everywhere, and a labels.toml in
// report.template_dir changes every output. It is read-only and safe for concurrent use.
type Labels struct {
	file  string                       // where the labels came from: "labels.toml" or a path
	texts map[string]map[string]string // lang → key → text
}

// builtinLabels are the labels of the embedded labels.toml; the tests rule out that
// they do not load.
var builtinLabels = sync.OnceValues(func() (*Labels, error) {
	src, err := fs.ReadFile(templates.FS, labelsFile)
	if err != nil {
		return nil, fmt.Errorf("%w: built-in %s: %w", ErrTemplate, labelsFile, err)
	}
	texts, err := decodeLabels(src, labelsFile, true)
	if err != nil {
		return nil, err
	}
	return &Labels{file: labelsFile, texts: texts}, nil
})

// LoadLabels returns the labels of report.template_dir dir: its labels.toml over the
// built-in one, a label it leaves out keeping the built-in text; the built-in labels
// when dir is "" or has no labels.toml. An unknown label, a label with other
// placeholders than the built-in one, or a bad sheet name is an error naming the file
// and line.
func LoadLabels(dir string) (*Labels, error) {
	base, err := builtinLabels()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return base, nil
	}
	file := filepath.Join(dir, labelsFile)
	src, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return base, nil
	case err != nil:
		return nil, fmt.Errorf("%w: read %s: %w", ErrTemplate, file, err)
	}
	over, err := decodeLabels(src, file, false)
	if err != nil {
		return nil, err
	}
	l := &Labels{file: file, texts: map[string]map[string]string{}}
	for _, lang := range locale.Languages {
		l.texts[lang] = maps.Clone(base.texts[lang])
		maps.Copy(l.texts[lang], over[lang])
	}
	return l, nil
}

// File returns where the labels came from: "labels.toml" (built in) or a path.
func (l *Labels) File() string { return l.file }

// Text returns the label key in lang with its placeholders filled in from kv (name,
// value, name, value...), without soft hyphens. A key that is not a label is a bug of
// the caller: Text panics, as the tests would find.
func (l *Labels) Text(lang, key string, kv ...string) string {
	return strings.ReplaceAll(l.hyphenated(lang, key, kv...), softHyphen, "")
}

// All returns every label of lang, without soft hyphens and with their placeholders
// unfilled, for the mail templates ({{.Labels.col_value}}).
func (l *Labels) All(lang string) map[string]string {
	m := make(map[string]string, len(l.texts[lang]))
	for k, v := range l.texts[lang] {
		m[k] = strings.ReplaceAll(v, softHyphen, "")
	}
	return m
}

// hyphenated is Text with its soft hyphens kept, for the PDF's table headers.
func (l *Labels) hyphenated(lang, key string, kv ...string) string {
	s, ok := l.texts[lang][key]
	if !ok {
		panic("reports: no label " + key) // labelKeys and the code disagree: a bug
	}
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

// Status returns the word of a target status ("met", "gehaald"), "" for none.
func (l *Labels) Status(lang string, s kpi.Status) string {
	switch s {
	case kpi.StatusMet, kpi.StatusNear, kpi.StatusMissed, kpi.StatusInProgress:
		return l.Text(lang, "status_"+string(s))
	}
	return ""
}

// Reason returns why a value is n/a, in lang: "no spend data". A reason without a
// label (none, as a test checks) is shown as its code.
func (l *Labels) Reason(lang string, r kpi.Reason) string {
	if _, ok := labelKeys["reason_"+string(r)]; !ok {
		return string(r)
	}
	return l.Text(lang, "reason_"+string(r))
}

// BeforeDataNotes says which of the previous period (with previous) and the year-ago
// period (with yearAgo) of rep come before the data starts, as every KPI's value there
// is n/a for that reason: "Year ago (November 2025): before the data starts".
func (l *Labels) BeforeDataNotes(rep *kpi.Report, f locale.Format, previous, yearAgo bool) []string {
	if len(rep.KPIs) == 0 {
		return nil
	}
	k := rep.KPIs[0] // Compute marks every KPI alike
	var notes []string
	add := func(v kpi.Value, key string, p period.Period) {
		if v.Reason == kpi.BeforeData {
			notes = append(notes, l.Text(rep.Lang, key, "period", f.Period(p))+": "+l.Reason(rep.Lang, kpi.BeforeData))
		}
	}
	if previous {
		add(k.Previous, "note_previous", rep.Period.Prev())
	}
	if yearAgo {
		add(k.YearAgo, "note_year_ago", rep.Period.YearAgo())
	}
	return notes
}

// decodeLabels reads a labels.toml: a table per language of label keys. complete
// requires every label in every language (the built-in file); an override may leave
// labels and languages out.
func decodeLabels(src []byte, file string, complete bool) (map[string]map[string]string, error) {
	var labels map[string]map[string]string
	if _, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&labels); err != nil {
		return nil, fileError(file, src, err)
	}
	for _, lang := range slices.Sorted(maps.Keys(labels)) {
		if !slices.Contains(locale.Languages, lang) {
			return nil, lineError(file, src, lang, "[%s] is not a report language; one of %s", lang, strings.Join(locale.Languages, ", "))
		}
	}
	for _, lang := range locale.Languages {
		ls, ok := labels[lang]
		if !ok && complete {
			return nil, fmt.Errorf("%w: %s: no [%s] labels", ErrTemplate, file, lang)
		}
		for _, key := range slices.Sorted(maps.Keys(ls)) {
			want, ok := labelKeys[key]
			if !ok {
				return nil, lineError(file, src, key, "unknown label %s.%s", lang, key)
			}
			var got []string
			for _, m := range placeholder.FindAllStringSubmatch(ls[key], -1) {
				got = append(got, m[1])
			}
			slices.Sort(got)
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				return nil, lineError(file, src, key, "label %s.%s has the placeholders %s; it needs %s", lang, key, braces(got), braces(want))
			}
			if strings.HasPrefix(key, "sheet_") && (ls[key] == "" || len([]rune(ls[key])) > 31 || strings.ContainsAny(ls[key], sheetNameBad) || strings.HasPrefix(ls[key], "'")) {
				return nil, lineError(file, src, key, "label %s.%s: %q is not a sheet name (1 to 31 characters, none of %s, not starting with ')", lang, key, ls[key], sheetNameBad)
			}
		}
		if !complete {
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(labelKeys)) {
			if _, ok := ls[key]; !ok {
				return nil, fmt.Errorf("%w: %s: [%s] has no label %s", ErrTemplate, file, lang, key)
			}
		}
	}
	return labels, nil
}

func braces(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = "{" + n + "}"
	}
	return strings.Join(s, " ")
}

// lineError is a template error naming file and, where it can be found, the line that
// defines key.
func lineError(file string, src []byte, key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line := keyLine(src, key); line > 0 {
		return fmt.Errorf("%w: %s line %d: %s", ErrTemplate, file, line, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrTemplate, file, msg)
}

// softHyphen (U+00AD) marks where a label's long word may break across two lines of
// a PDF table header; everywhere else it is left out.
const softHyphen = "\u00ad"

// label returns the label key in lang with its placeholders filled in from kv (name,
// value, name, value...).
func (t *Template) label(lang, key string, kv ...string) string {
	return t.labels.Text(lang, key, kv...)
}

// hyphenatedLabel is label with its soft hyphens kept, for the PDF's table headers.
func (t *Template) hyphenatedLabel(lang, key string, kv ...string) string {
	return t.labels.hyphenated(lang, key, kv...)
}

// Labels returns the template's text catalogue, for the outputs that are not the
// report's own: the mail and the `kpis` command.
func (t *Template) Labels() *Labels { return t.labels }

// statusLabel returns the text of a target status, "" for none.
func (t *Template) statusLabel(lang string, s kpi.Status) string {
	return t.labels.Status(lang, s)
}

// unitLabel returns the name of unit u.
func (t *Template) unitLabel(lang, currency string, u kpi.Unit) string {
	return t.label(lang, "unit_"+string(u), "currency", currency)
}

// betterLabel returns "higher" or "lower".
func (t *Template) betterLabel(lang string, b kpi.Better) string {
	return t.label(lang, "better_"+b.String())
}

// naNote is one reason a KPI is n/a, with the periods it is n/a in for that reason.
type naNote struct {
	whens      []string // "This period", "Previous period (September 2026)", ...
	reason     kpi.Reason
	reasonText string // the reason in the report's language
}

// salesCountNote is the number of sales beside gross sales: "1 sale", "103 sales",
// "1 verkoop", "103 verkopen".
func (t *Template) salesCountNote(lang string, f locale.Format, n int64) string {
	key := "sales_count_note"
	if n == 1 {
		key = "sales_count_note_one"
	}
	return t.label(lang, key, "count", f.Int(n))
}

// naNotes returns why r is n/a in the report's period, the previous period and the
// year-ago period: one note per distinct reason, in that order. The PDF's notes and
// the Summary sheet's note column both show them, so neither leaves an n/a unexplained.
func (t *Template) naNotes(rep *kpi.Report, f locale.Format, r kpi.Result) []naNote {
	var notes []naNote
	for _, v := range []struct {
		when  string
		value kpi.Value
	}{
		{t.label(rep.Lang, "note_value"), r.Value},
		{t.label(rep.Lang, "note_previous", "period", f.Period(rep.Period.Prev())), r.Previous},
		{t.label(rep.Lang, "note_year_ago", "period", f.Period(rep.Period.YearAgo())), r.YearAgo},
	} {
		if v.value.OK() {
			continue
		}
		i := slices.IndexFunc(notes, func(n naNote) bool { return n.reason == v.value.Reason })
		if i < 0 {
			notes = append(notes, naNote{reason: v.value.Reason, reasonText: t.labels.Reason(rep.Lang, v.value.Reason)})
			i = len(notes) - 1
		}
		notes[i].whens = append(notes[i].whens, v.when)
	}
	return notes
}

// text returns the note as the reports print it: "Previous period (September 2026) /
// Year ago (October 2025): n/a, no deals won in the period".
func (n naNote) text(lang string, f locale.Format) string {
	return strings.Join(n.whens, " / ") + ": " + f.NA() + ", " + n.reasonText
}

// definitions are the KPI and measure definitions of a definitions.toml.
type definitions struct {
	KPI     map[string]map[string]kpiDefinition     `toml:"kpi"`     // id → lang →
	Measure map[string]map[string]measureDefinition `toml:"measure"` // key → lang →
}

type kpiDefinition struct {
	Formula string `toml:"formula"`
	NA      string `toml:"na"`
}

type measureDefinition struct {
	Name       string `toml:"name"`
	Definition string `toml:"definition"`
}

// decodeDefinitions reads a definitions.toml and checks that it defines every KPI and
// measure in every language.
func decodeDefinitions(src []byte, file string) (definitions, error) {
	var d definitions
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&d)
	if err != nil {
		return d, fileError(file, src, err)
	}
	if err := undecoded(file, src, md); err != nil {
		return d, err
	}
	for _, id := range slices.Sorted(maps.Keys(d.KPI)) {
		if _, ok := kpi.Lookup(id); !ok {
			return d, lineError(file, src, id, "unknown KPI %q", id)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(d.Measure)) {
		if measureIndex(key) < 0 {
			return d, lineError(file, src, key, "unknown measure %q", key)
		}
	}
	for _, lang := range locale.Languages {
		for _, def := range kpi.Defs {
			if k := d.KPI[def.ID][lang]; k.Formula == "" || k.NA == "" {
				return d, fmt.Errorf("%w: %s: [kpi.%s.%s] needs a formula and na", ErrTemplate, file, def.ID, lang)
			}
		}
		for _, m := range measures {
			if x := d.Measure[m.key][lang]; x.Name == "" || x.Definition == "" {
				return d, fmt.Errorf("%w: %s: [measure.%s.%s] needs a name and definition", ErrTemplate, file, m.key, lang)
			}
		}
	}
	return d, nil
}
