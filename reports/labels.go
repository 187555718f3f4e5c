package reports

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// labelKeys are the labels a labels.toml must define in every language, each with the
// placeholders its text must contain.
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

	"status_met": nil, "status_near": nil, "status_missed": nil,

	"unit_money": {"currency"}, "unit_money_per_day": {"currency"}, "unit_ratio": nil,
	"unit_days": nil, "unit_count": nil, "better_higher": nil, "better_lower": nil,

	"total": nil, "no_rep": nil, "no_region": nil, "no_rows": nil,
	"generated":        {"time"},
	"page_n_of_m":      {"n", "m"},
	"period_range":     {"start", "end"},
	"vs_previous":      {"value"},
	"target":           {"value"},
	"sales_count_note": {"count"},
	"note_value":       nil,
	"note_previous":    {"period"},
	"note_year_ago":    {"period"},
	"notes_empty":      nil,
}

// sheetNameBad are the characters Excel does not allow in a sheet name.
const sheetNameBad = `[]:*?/\`

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// decodeLabels reads a labels.toml: a table per language of every label key.
func decodeLabels(src []byte, file string) (map[string]map[string]string, error) {
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
		if !ok {
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
	return strings.ReplaceAll(t.hyphenatedLabel(lang, key, kv...), softHyphen, "")
}

// hyphenatedLabel is label with its soft hyphens kept, for the PDF's table headers.
func (t *Template) hyphenatedLabel(lang, key string, kv ...string) string {
	s, ok := t.labels[lang][key]
	if !ok {
		panic("reports: no label " + key) // labelKeys and the code disagree: a bug
	}
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

// statusLabel returns the text of a target status, "" for none.
func (t *Template) statusLabel(lang string, s kpi.Status) string {
	switch s {
	case kpi.StatusMet, kpi.StatusNear, kpi.StatusMissed:
		return t.label(lang, "status_"+string(s))
	}
	return ""
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
	whens  []string // "This period", "Previous period (September 2026)", ...
	reason kpi.Reason
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
			notes = append(notes, naNote{reason: v.value.Reason})
			i = len(notes) - 1
		}
		notes[i].whens = append(notes[i].whens, v.when)
	}
	return notes
}

// text returns the note as the reports print it: "Previous period (September 2026) /
// Year ago (October 2025): n/a, no deals won in the period".
func (n naNote) text(lang string, f locale.Format) string {
	return strings.Join(n.whens, " / ") + ": " + f.NA() + ", " + n.reason.Text(lang)
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
