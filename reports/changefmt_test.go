package reports

import (
	"strings"
	"testing"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// TestChangeFormatNoSignOnZero: the workbook's change formats send a change that
// rounds to zero at the digits shown to the unsigned zero section, so +0.00004 (a
// ratio, shown in pp) reads "0.0 pp", not "+0.0 pp" (fonts note, point 3). LibreOffice
// was checked by hand to show +0.3 → "+0.3 pp", ±0.03 → "0.0 pp", -0.3 → "-0.3 pp".
func TestChangeFormatNoSignOnZero(t *testing.T) {
	for _, lang := range locale.Languages {
		f := locale.New(lang, "EUR")
		for _, tt := range []struct {
			code, half string
		}{
			{changeNumFmt(f, kpi.Money), "0.005"},
			{changeNumFmt(f, kpi.Ratio), "0.05"},
			{changeNumFmt(f, kpi.Days), "0.05"},
			{changeNumFmt(f, kpi.Count), "0.5"},
			{changePctNumFmt(f), "0.0005"},
		} {
			s := strings.Split(tt.code, ";")
			if len(s) != 3 || !strings.HasPrefix(s[0], "[>="+tt.half+"]") || !strings.HasPrefix(s[1], "[<=-"+tt.half+"]") || strings.ContainsAny(s[2], "+-[") {
				t.Errorf("%s: change format %q: want [>=%s]pos;[<=-%s]neg;unsigned zero", lang, tt.code, tt.half, tt.half)
			}
		}
	}
}
