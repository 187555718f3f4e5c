package email

import (
	"math/big"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/reports"
)

// TestRowZeroChange checks that a change that shows as zero ("0.0 pp", "+0.0%")
// gets no arrow, no colour and no sign, in both languages, and that a change that
// shows keeps its arrow.
func TestRowZeroChange(t *testing.T) {
	retention, _ := kpi.Lookup(kpi.IDRetentionRate)
	revenue, _ := kpi.Lookup(kpi.IDRevenue)
	tests := []struct {
		name      string
		k         kpi.Result
		wantArrow string
		want      map[string]string // lang → change text
	}{
		{"ratio up 0.004 pp", kpi.Result{Def: retention, Value: kpi.Exact(big.NewRat(99004, 100000)),
			Change: kpi.Exact(big.NewRat(4, 100000)), ChangeRel: kpi.Exact(big.NewRat(4, 99000))},
			"", map[string]string{"en": "0.0 pp", "nl": "0,0 pp"}},
		{"ratio down 0.03 pp", kpi.Result{Def: retention, Value: kpi.Exact(big.NewRat(98970, 100000)),
			Change: kpi.Exact(big.NewRat(-3, 100000)), ChangeRel: kpi.Exact(big.NewRat(-3, 99000))},
			"", map[string]string{"en": "0.0 pp", "nl": "0,0 pp"}},
		{"money up 0.01%", kpi.Result{Def: revenue, Value: kpi.Exact(big.NewRat(100010, 1)),
			Change: kpi.Exact(big.NewRat(10, 1)), ChangeRel: kpi.Exact(big.NewRat(1, 10000))},
			"", map[string]string{"en": "0.0%", "nl": "0,0 %"}},
		{"ratio up 0.1 pp", kpi.Result{Def: retention, Value: kpi.Exact(big.NewRat(991, 1000)),
			Change: kpi.Exact(big.NewRat(1, 1000)), ChangeRel: kpi.Exact(big.NewRat(1, 990))},
			"▲", map[string]string{"en": "+0.1 pp", "nl": "+0,1 pp"}},
	}
	labels, err := reports.LoadLabels("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		for _, lang := range locale.Languages {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				r := row(locale.New(lang, "EUR"), labels, tt.k)
				if r.Arrow != tt.wantArrow || (r.Arrow == "") != (r.ArrowColor == "") {
					t.Errorf("arrow %q in %q, want %q", r.Arrow, r.ArrowColor, tt.wantArrow)
				}
				if r.Change != tt.want[lang] {
					t.Errorf("change %q, want %q", r.Change, tt.want[lang])
				}
			})
		}
	}
}
