// Package locale formats numbers, money, percentages, days and dates for a report
// language: Dutch ("nl": € 1.234,56 · 12,5 % · oktober 2026) or English
// ("en": €1,234.56 · 12.5% · October 2026). It works on exact values.
package locale

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kpireport/kpireport/money"
)

// Languages are the report languages.
var Languages = []string{"en", "nl"}

// Format formats values for one language and currency.
type Format struct {
	Lang     string // "en" or "nl"
	Currency string // ISO 4217 code, e.g. "EUR"
}

// New returns the format of lang ("en" or "nl") and currency.
func New(lang, currency string) Format { return Format{Lang: lang, Currency: currency} }

func (f Format) nl() bool { return f.Lang == "nl" }

// Language returns f's language, "en" or "nl".
func (f Format) Language() string { return f.Lang }

// Number formats r with exactly digits fraction digits and thousands grouping:
// "1,234.50" (en) or "1.234,50" (nl). It rounds half away from zero.
func (f Format) Number(r *big.Rat, digits int) string {
	s := money.FormatRat(r, digits)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if digits > 0 {
		frac += strings.Repeat("0", digits-len(frac))
	}
	groupSep, decSep := ",", "."
	if f.nl() {
		groupSep, decSep = ".", ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(groupSep)
		}
		b.WriteRune(c)
	}
	if digits > 0 {
		b.WriteString(decSep)
		b.WriteString(frac)
	}
	return b.String()
}

// Int formats a count with grouping: "12,345" or "12.345".
func (f Format) Int(n int64) string { return f.Number(big.NewRat(n, 1), 0) }

// Symbol returns the currency symbol: € for EUR, $ for USD, £ for GBP, else the code.
func (f Format) Symbol() string {
	switch f.Currency {
	case "EUR", "":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	case "CHF":
		return "CHF"
	}
	return f.Currency
}

// Money formats r with 2 fraction digits: "€1,234.56" / "-€1,234.56" (en) or
// "€ 1.234,56" / "€ -1.234,56" (nl).
func (f Format) Money(r *big.Rat) string {
	n := f.Number(r, 2)
	sym := f.Symbol()
	if f.nl() {
		return sym + " " + n
	}
	if len(sym) > 1 && sym != "€" && sym != "$" && sym != "£" {
		sym += " "
	}
	if strings.HasPrefix(n, "-") {
		return "-" + sym + n[1:]
	}
	return sym + n
}

// Percent formats a ratio (0.125) as a percentage with one fraction digit: "12.5%" (en)
// or "12,5 %" (nl).
func (f Format) Percent(r *big.Rat) string {
	p := new(big.Rat).Mul(r, big.NewRat(100, 1))
	if f.nl() {
		return f.Number(p, 1) + " %"
	}
	return f.Number(p, 1) + "%"
}

// Days formats a number of days with one fraction digit: "12.5 days" / "12,5 dagen".
func (f Format) Days(r *big.Rat) string {
	if f.nl() {
		return f.Number(r, 1) + " dagen"
	}
	return f.Number(r, 1) + " days"
}

// NA is the text shown for an undefined value.
func (f Format) NA() string {
	if f.nl() {
		return "n.v.t."
	}
	return "n/a"
}

var monthsNL = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli",
	"augustus", "september", "oktober", "november", "december"}

// MonthName returns the month's name: "October" or "oktober".
func (f Format) MonthName(m time.Month) string {
	if f.nl() {
		return monthsNL[m-1]
	}
	return m.String()
}

// Date formats a day: "31 October 2026" or "31 oktober 2026".
func (f Format) Date(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), f.MonthName(t.Month()), t.Year())
}

// DateTime formats a time with its zone: "31 October 2026 07:00 CET".
func (f Format) DateTime(t time.Time) string {
	return f.Date(t) + " " + t.Format("15:04 MST")
}
