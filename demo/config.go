package demo

import (
	"fmt"
	"strings"
)

// Company is the name of the demo company.
const Company = "Voorbeeld Handel B.V."

// targets are the [targets] of the demo config, derived from the generated
// orders so that some months meet them and some do not.
type targets struct {
	revenue int64 // euros per month
	aov     int64 // euros
}

// targets returns the average monthly revenue and the average order value of
// the last twelve complete months, rounded to two significant digits.
func (g *generator) targets() targets {
	last := len(g.months) - 1
	if !g.cal.endsOnMonthEnd() {
		last--
	}
	first := max(0, last-11)
	var revenue, count int64
	for _, m := range g.months[first : last+1] {
		revenue += m.revenue
		count += m.salesCount
	}
	t := targets{revenue: 1000, aov: 100}
	if months := int64(last - first + 1); revenue > 0 {
		t.revenue = roundSignificant(revenue/months/100, 2)
	}
	if count > 0 && revenue > 0 {
		t.aov = roundSignificant(revenue/count/100, 2)
	}
	return t
}

// roundSignificant rounds n > 0 half up to digits significant digits.
func roundSignificant(n int64, digits int) int64 {
	unit := int64(1)
	for x := n; x >= pow10(digits); x /= 10 {
		unit *= 10
	}
	return max(1, (n+unit/2)/unit*unit)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// configText is the kpireport.toml of the demo, written as text so that it
// keeps its comments and its order.
func configText(opt Options, t targets) string {
	var b strings.Builder
	source := "type = \"sqlite\"          # or: type = \"csv\" / dir = \"data\"\npath = \"data/kpireport.db\""
	if opt.Format == FormatCSV {
		source = "type = \"csv\"             # or: type = \"sqlite\" / path = \"data/kpireport.db\"\ndir = \"data\""
	}
	fmt.Fprintf(&b, "%s (seed %d, %d orders): a demo company.\n", Marker, opt.Seed, opt.Orders)
	b.WriteString("# kpireport demo overwrites this file; remove the line above to keep it.\n")
	fmt.Fprintf(&b, `[report]
company = %s
timezone = %s
currency = "EUR"
language = "en"
output_dir = "reports"

[source]
%s

[kpi]
# clv_lifespan_years = 3

[targets]
churn_rate = 0.03
aov = %d
lead_conversion_rate = 0.05

# Reports are "sent" by writing .eml files to the outbox folder; set mode = "smtp"
# and an [smtp] section to mail them (see config.example.toml).
[delivery]
mode = "outbox"
outbox_dir = "outbox"

[state]
path = "kpireport-state.db"

[[jobs]]
name = "monthly"
period = "month"
schedule = "0 7 1 * *"
recipients = ["Directie <directie@voorbeeld.example>", "finance@voorbeeld.example"]
cc = ["sales@voorbeeld.example"]
[jobs.targets]
revenue = %d

[[jobs]]
name = "weekly"
period = "week"
schedule = "0 7 * * 1"
[jobs.targets]
revenue = %d

[[jobs]]
name = "quarterly"
period = "quarter"
schedule = "0 7 1 1,4,7,10 *"
[jobs.targets]
revenue = %d
`, tomlString(Company), tomlString(opt.Timezone), source, t.aov, t.revenue,
		roundSignificant(t.revenue*12/52, 2), t.revenue*3)
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
