package reports

import (
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// reasonText returns the built-in text of reason r in lang.
func reasonText(lang string, r kpi.Reason) string {
	l, err := LoadLabels("")
	if err != nil {
		panic(err)
	}
	return l.Reason(lang, r)
}

// TestReasonLabels checks that every n/a reason of the KPI domain has a text of its
// own in each language of the catalogue, and that the languages differ.
func TestReasonLabels(t *testing.T) {
	l, err := LoadLabels("")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]kpi.Reason{}
	for _, r := range kpi.Reasons {
		en, nl := l.Reason("en", r), l.Reason("nl", r)
		if en == string(r) || nl == string(r) || en == nl || en == "" || nl == "" {
			t.Errorf("reason %q: en %q, nl %q", r, en, nl)
		}
		if other, ok := seen[en]; ok {
			t.Errorf("reasons %q and %q have the same text %q", r, other, en)
		}
		seen[en] = r
	}
	if got := l.Reason("en", kpi.Reason("made_up")); got != "made_up" {
		t.Errorf("unknown reason %q, want its code", got)
	}
}

// TestLabelsPartialOverride checks that a labels.toml in template_dir may change only
// some labels: those change, in the report template too, and the others keep the
// built-in text.
func TestLabelsPartialOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{"labels.toml": "[nl]\nstatus_missed = \"gemist\"\n"})
	l, err := LoadLabels(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Status("nl", kpi.StatusMissed); got != "gemist" {
		t.Errorf("overridden status %q", got)
	}
	if got := l.Status("nl", kpi.StatusMet); got != "gehaald" {
		t.Errorf("status met %q, want the built-in word", got)
	}
	if got := l.Status("en", kpi.StatusMissed); got != "missed" {
		t.Errorf("English status %q, want the built-in word", got)
	}
	tm, err := LoadTemplate(dir, "", period.Month)
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.Labels().Status("nl", kpi.StatusMissed); got != "gemist" {
		t.Errorf("the template's labels say %q", got)
	}
	for _, lang := range locale.Languages {
		if got := l.Status(lang, kpi.StatusNone); got != "" {
			t.Errorf("no status in %s: %q", lang, got)
		}
	}
}

// TestLabelsDotDir checks that template_dir "." with a labels.toml is an override,
// not taken for the built-in file of the same name.
func TestLabelsDotDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{"labels.toml": "[en]\nstatus_met = \"on track\"\n"})
	t.Chdir(dir)
	l, err := LoadLabels(".")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Status("en", kpi.StatusMet); got != "on track" {
		t.Errorf("status %q, want the override", got)
	}
}
