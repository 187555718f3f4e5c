package locale

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// Period names a period: "October 2026", "week 43, 2026", "Q3 2026" (en) or
// "oktober 2026", "week 43, 2026", "3e kwartaal 2026" (nl).
func (f Format) Period(p period.Period) string {
	switch p.Kind {
	case period.Week:
		return fmt.Sprintf("week %d, %d", p.N, p.Year)
	case period.Quarter:
		if f.nl() {
			return fmt.Sprintf("%de kwartaal %d", p.N, p.Year)
		}
		return fmt.Sprintf("Q%d %d", p.N, p.Year)
	default:
		return f.MonthName(time.Month(p.N)) + " " + fmt.Sprint(p.Year)
	}
}

// Value formats a KPI value in its unit, or n/a.
func (f Format) Value(v kpi.Value, u kpi.Unit) string {
	if !v.OK() {
		return f.NA()
	}
	return f.Rat(v.V, u)
}

// Rat formats an exact number in unit u.
func (f Format) Rat(r *big.Rat, u kpi.Unit) string {
	switch u {
	case kpi.Money:
		return f.Money(r)
	case kpi.MoneyPerDay:
		if f.nl() {
			return f.Money(r) + " per dag"
		}
		return f.Money(r) + " per day"
	case kpi.Ratio:
		return f.Percent(r)
	case kpi.Days:
		return f.Days(r)
	default:
		return f.Number(r, 0)
	}
}

// Change formats a change in unit u with an explicit sign: "+€120.00", "-2.5 pp" for
// ratios (percentage points), "+3".
func (f Format) Change(v kpi.Value, u kpi.Unit) string {
	if !v.OK() {
		return f.NA()
	}
	plus := v.V.Sign() > 0 && !ChangeRoundsToZero(v.V, u)
	if u == kpi.Ratio {
		pp := f.Number(new(big.Rat).Mul(v.V, big.NewRat(100, 1)), 1) + " pp"
		if plus {
			pp = "+" + pp
		}
		return pp
	}
	s := f.Rat(v.V, u)
	if !plus {
		return s
	}
	// Dutch money puts the sign after the symbol, as in "€ -1.234,56".
	if sym := f.Symbol() + " "; f.nl() && strings.HasPrefix(s, sym) {
		return sym + "+" + s[len(sym):]
	}
	return "+" + s
}

// ChangeRoundsToZero reports whether Change shows the change r in unit u as zero
// ("0.0 pp", "€0.00", "0"): such a change has no direction, so it gets no sign, no
// arrow and no good-or-bad colour.
func ChangeRoundsToZero(r *big.Rat, u kpi.Unit) bool {
	switch u {
	case kpi.Money, kpi.MoneyPerDay:
		return RoundsToZero(r, 2)
	case kpi.Ratio: // percentage points with one fraction digit
		return RoundsToZero(new(big.Rat).Mul(r, big.NewRat(100, 1)), 1)
	case kpi.Days:
		return RoundsToZero(r, 1)
	}
	return RoundsToZero(r, 0)
}

// PercentRoundsToZero reports whether Percent shows the ratio r as zero ("0.0%").
func PercentRoundsToZero(r *big.Rat) bool {
	return RoundsToZero(new(big.Rat).Mul(r, big.NewRat(100, 1)), 1)
}

// RoundsToZero reports whether r, rounded to digits fraction digits as Number
// rounds it, is zero.
func RoundsToZero(r *big.Rat, digits int) bool {
	return strings.Trim(money.FormatRat(r, digits), "-0.") == ""
}
