package email

import (
	"strings"
	"testing"

	"github.com/kpireport/kpireport/period"
)

// TestStatusColumnHeader: the HTML mail's last column holds the status word
// ("met", "gehaald"), so its header is "Status", not "Target"/"Doel" (tryout F30).
func TestStatusColumnHeader(t *testing.T) {
	for _, tt := range []struct{ lang, want, not string }{
		{"en", ">Status</th>", ">Target</th>"},
		{"nl", ">Status</th>", ">Doel</th>"},
	} {
		m, err := Compose(report(t, tt.lang, "Acme B.V."), builtin(t, period.Month), "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.HTML, tt.want) || strings.Contains(m.HTML, tt.not) {
			t.Errorf("%s: want a %q column header and no %q:\n%s", tt.lang, tt.want, tt.not, m.HTML)
		}
	}
}
