package reports

import (
	"math"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// The formatting below adds to package locale what only reports need: the sign of a
// relative change, short period names for chart axes, compact axis numbers and the
// Excel number format codes that show a cell as locale shows the same value.

// signedPercent formats a relative change with an explicit sign: "+4.6%", "-1,2 %".
func signedPercent(f locale.Format, r *big.Rat) string {
	if r.Sign() > 0 && !locale.PercentRoundsToZero(r) {
		return "+" + f.Percent(r)
	}
	return f.Percent(r)
}

// changeText formats the change of a KPI against the previous period: "+€120.00
// (+4.6%)" for amounts and counts, "+2.5 pp" for ratios, n/a when there is none.
func changeText(f locale.Format, r kpi.Result) string {
	s := f.Change(r.Change, r.Def.Unit)
	if r.Def.Unit != kpi.Ratio && r.Change.OK() && r.ChangeRel.OK() {
		s += " (" + signedPercent(f, r.ChangeRel.V) + ")"
	}
	return s
}

var monthsShortNL = [...]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}

// periodTick returns the short name of p for a chart axis: "Oct", "W43", "Q3" (en) or
// "okt", "W43", "Q3" (nl).
func periodTick(lang string, p period.Period) string {
	switch p.Kind {
	case period.Week:
		return "W" + itoa(p.N)
	case period.Quarter:
		return "Q" + itoa(p.N)
	}
	if lang == "nl" {
		return monthsShortNL[p.N-1]
	}
	return monthsShortEN(p.N)
}

func monthsShortEN(m int) string { return time.Month(m).String()[:3] }

// periodShort returns a compact name of p with its year: "Oct 2026", "okt 2026",
// "W43 2026", "Q3 2026".
func periodShort(lang string, p period.Period) string {
	return periodTick(lang, p) + " " + itoa(p.Year)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// axisLabel formats v, a tick of a chart axis whose ticks are step apart, compactly
// in unit u: "€25k", "€1.5M", "12.5%" (en) or "€ 25k", "€ 1,5 mln", "12,5 %" (nl).
func axisLabel(f locale.Format, v, step float64, u kpi.Unit) string {
	switch u {
	case kpi.Ratio:
		return f.Number(ratOf(100*v, 100*step), fractionDigits(100*step)) + percentSuffix(f)
	case kpi.Money, kpi.MoneyPerDay:
		n := compactNumber(f, v, step)
		if f.Lang == "nl" {
			return f.Symbol() + " " + n
		}
		if strings.HasPrefix(n, "-") {
			return "-" + f.Symbol() + n[1:]
		}
		return f.Symbol() + n
	}
	return compactNumber(f, v, step)
}

// compactNumber formats v with a k or M (nl: k, mln) suffix where v is large, with as
// few fraction digits as ticks step apart need.
func compactNumber(f locale.Format, v, step float64) string {
	if v == 0 {
		return "0"
	}
	scale, suffix := 1.0, ""
	switch a := math.Max(math.Abs(v), step); {
	case a >= 1e6:
		scale, suffix = 1e6, "M"
		if f.Lang == "nl" {
			suffix = " mln"
		}
	case a >= 1e4:
		scale, suffix = 1e3, "k"
	}
	r := ratOf(v/scale, step/scale)
	return f.Number(r, fractionDigits(step/scale)) + suffix
}

// ratOf returns v rounded to the precision that steps of step need, as a Rat.
func ratOf(v, step float64) *big.Rat {
	d := fractionDigits(step)
	p := math.Pow(10, float64(d))
	return new(big.Rat).SetFrac64(int64(math.Round(v*p)), int64(p))
}

// fractionDigits returns how many fraction digits show values step apart (0 to 3).
func fractionDigits(step float64) int {
	for d := 0; d < 3; d++ {
		p := math.Pow(10, float64(d))
		if math.Abs(step*p-math.Round(step*p)) < 1e-9*p {
			return d
		}
	}
	return 3
}

// percentSuffix returns what f writes after the digits of a percentage: "%" or " %".
func percentSuffix(f locale.Format) string {
	s := f.Percent(big.NewRat(1, 2)) // "50.0%" or "50,0 %"
	return s[strings.LastIndexAny(s, "0123456789")+1:]
}

// formatCode turns what locale prints for sample numbers into an Excel number format
// that shows the same: each sample is a text and the digits in it, and gives one
// section of the code, with the digits replaced by pattern and the rest as literal
// text. A trailing % stays a percent sign (which scales by 100).
func formatCode(pattern string, samples ...[2]string) string {
	sections := make([]string, len(samples))
	for i, s := range samples {
		at := strings.Index(s[0], s[1])
		prefix, suffix := s[0][:at], s[0][at+len(s[1]):]
		percent := ""
		if p, ok := strings.CutSuffix(suffix, "%"); ok {
			suffix, percent = p, "%"
		}
		sections[i] = quoteLit(prefix) + pattern + quoteLit(suffix) + percent
	}
	return strings.Join(sections, ";")
}

// quoteLit quotes s as a literal of an Excel number format ("" for "").
func quoteLit(s string) string {
	if s == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// digitsOf returns the fraction digits locale shows for unit u and the Excel digit
// pattern for them.
func digitsOf(u kpi.Unit) (int, string) {
	switch u {
	case kpi.Money, kpi.MoneyPerDay:
		return 2, "#,##0.00"
	case kpi.Ratio, kpi.Days:
		return 1, "#,##0.0"
	}
	return 0, "#,##0"
}

// numFmt returns the Excel number format of a value of unit u, showing what f shows:
// `"€"#,##0.00;"-€"#,##0.00` for money in English, `#,##0.0" dagen"` for days in Dutch.
// Grouping and decimal marks in the code are Excel's; the reader's locale shows them.
func numFmt(f locale.Format, u kpi.Unit) string {
	d, pattern := digitsOf(u)
	one, half := big.NewRat(1, 1), big.NewRat(1, 2)
	if u == kpi.Ratio {
		n := f.Number(big.NewRat(50, 1), d)
		return formatCode(pattern, [2]string{f.Percent(half), n}, [2]string{f.Percent(new(big.Rat).Neg(half)), n})
	}
	n := f.Number(one, d)
	return formatCode(pattern, [2]string{f.Rat(one, u), n}, [2]string{f.Rat(new(big.Rat).Neg(one), u), n})
}

// changeNumFmt returns the Excel number format of a change in unit u with its sign,
// as locale.Change writes it. A ratio's change is in percentage points: the cell
// holds the difference × 100.
func changeNumFmt(f locale.Format, u kpi.Unit) string {
	d, pattern := digitsOf(u)
	one := big.NewRat(1, 1)
	if u == kpi.Ratio {
		one = big.NewRat(1, 100) // 1 pp
	}
	n, zero := f.Number(big.NewRat(1, 1), d), f.Number(new(big.Rat), d)
	return signOnlyShown(formatCode(pattern,
		[2]string{f.Change(kpi.Exact(one), u), n},
		[2]string{f.Change(kpi.Exact(new(big.Rat).Neg(one)), u), n},
		[2]string{f.Change(kpi.Exact(new(big.Rat)), u), zero}), d)
}

// signOnlyShown puts conditions on the positive and negative sections of a change's
// format code (pos;neg;zero), so that a change that rounds to zero at the d digits
// shown takes the zero section: "0.0 pp", not "+0.0 pp" (as locale.Change prints it).
func signOnlyShown(code string, d int) string {
	half := "0." + strings.Repeat("0", d) + "5"
	if d == 0 {
		half = "0.5"
	}
	sections := strings.SplitN(code, ";", 3)
	if len(sections) != 3 {
		return code
	}
	return "[>=" + half + "]" + sections[0] + ";[<=-" + half + "]" + sections[1] + ";" + sections[2]
}

// changePctNumFmt returns the Excel number format of a relative change: "+4.6%".
func changePctNumFmt(f locale.Format) string {
	half := big.NewRat(1, 2)
	n, zero := f.Number(big.NewRat(50, 1), 1), f.Number(new(big.Rat), 1)
	// The value is a fraction shown in percent with 1 digit: 0.0005 shows as 0.1%.
	return signOnlyShown(formatCode("#,##0.0",
		[2]string{signedPercent(f, half), n},
		[2]string{signedPercent(f, new(big.Rat).Neg(half)), n},
		[2]string{signedPercent(f, new(big.Rat)), zero}), 3)
}

// cleanText removes control characters (which XML cannot hold) from data text.
func cleanText(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' }

// isFormulaLike reports whether a spreadsheet would read s as a formula.
func isFormulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@", rune(s[0]))
}

// expandFilename fills the placeholders {{job}}, {{period}} and {{company}} (spaces
// inside the braces allowed) of tmpl and makes the result a safe base name.
func expandFilename(tmpl string, rep *kpi.Report) string {
	var b strings.Builder
	rest := tmpl
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:open])
		switch name := strings.TrimSpace(rest[open+2 : open+end]); name {
		case "job":
			b.WriteString(rep.Job)
		case "period":
			b.WriteString(rep.Period.Label())
		case "company":
			b.WriteString(rep.Company)
		default:
			b.WriteString(name)
		}
		rest = rest[open+end+2:]
	}
	return sanitizeFilename(b.String())
}

// sanitizeFilename makes s safe as a file's base name on any system: path separators,
// characters Windows forbids, control characters and invisible format characters
// (such as U+202E, which shows the rest of a name backwards) become "_", ".." becomes
// ".", and leading dots and surrounding spaces go. A name Windows reserves for a
// device (CON, NUL, COM1, LPT1, ..., with any extension) gets a leading "_". An
// empty result is "report".
func sanitizeFilename(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`/\<>:"|?*`, r) {
			return '_'
		}
		return r
	}, s)
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", ".")
	}
	s = strings.TrimLeft(strings.TrimSpace(s), ".")
	s = strings.TrimRight(s, ". ")
	if s == "" {
		return "report"
	}
	if windowsReserved(s) {
		s = "_" + s
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return s
}

// windowsReserved reports whether Windows reads the file name s as a device: CON,
// PRN, AUX, NUL, CONIN$, CONOUT$, COM1 to COM9 or LPT1 to LPT9 (also with ¹, ² or ³),
// in any case, before the first dot and ignoring trailing spaces ("nul.xlsx", "Com1 ").
func windowsReserved(s string) bool {
	stem, _, _ := strings.Cut(s, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) < 4 || stem[:3] != "COM" && stem[:3] != "LPT" {
		return false
	}
	switch stem[3:] {
	case "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}
