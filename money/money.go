// Package money holds exact decimal amounts: parsing of decimal text (with a chosen
// decimal separator), exact sums of any size and their decimal text. Money is never
// summed in floating point.
package money

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Digits is the number of fraction digits an Amount holds.
const Digits = 4

// Scale is 10^Digits: an Amount of Scale is 1.
const Scale = 10000

// Amount is an exact decimal with Digits fraction digits, in units of 1/Scale.
type Amount int64

// Parse parses a decimal such as "1234.56", "-0.5", "+3" or, with decimal ',', Dutch
// "1.234,56". With decimal ',' a '.' is accepted as a thousands separator between groups
// of three digits; with decimal '.' no grouping is accepted, so that "1,500" from an
// export with the wrong separator setting is an error, not 1500. More than Digits fraction digits is an error, not a rounding.
// With decimal ',' it also reads amounts as Dutch spreadsheets show them: a euro sign
// before or after the number, the minus before or after the euro sign, and spaces
// (also non-breaking ones) around them or between groups of three digits:
// "€ 1.234,56", "1 234,56", "€-12,50", "-€ 12,50", "12,50 €".
// It does not allocate unless the value is bad.
func Parse(b []byte, decimal byte) (Amount, error) {
	a, err := parse(b, decimal)
	if err == nil || decimal != ',' || !errors.Is(err, ErrSyntax) {
		return a, err
	}
	var buf [64]byte
	plain, ok := undecorate(buf[:0], b)
	if !ok {
		return 0, err
	}
	a, perr := parse(plain, decimal)
	switch {
	case perr == nil:
		return a, nil
	case errors.Is(perr, ErrPrecision):
		return 0, fmt.Errorf("%w: %s has more than %d fraction digits", ErrPrecision, quote(b), Digits)
	case errors.Is(perr, ErrRange):
		return 0, fmt.Errorf("%w: %s", ErrRange, quote(b))
	}
	return 0, err
}

// Text around and in a decorated amount.
const (
	euro     = "\u20ac"
	nbsp     = "\u00a0" // no-break space
	narrowSp = "\u202f" // narrow no-break space
	maxPlain = 64
)

// space returns the length of the space at the start of b (' ', a no-break space or
// a narrow no-break space), or 0.
func space(b []byte) int {
	switch {
	case len(b) > 0 && b[0] == ' ':
		return 1
	case bytes.HasPrefix(b, []byte(nbsp)):
		return len(nbsp)
	case bytes.HasPrefix(b, []byte(narrowSp)):
		return len(narrowSp)
	}
	return 0
}

// undecorate appends to dst the amount b without its euro sign and spaces, the sign
// first and spaces between digit groups written as '.', ready for parse with decimal
// ','. It reports false when b is not such an amount or nothing was dropped.
func undecorate(dst, b []byte) ([]byte, bool) {
	var sign byte
	sawEuro, changed := false, false
	i := 0
	// Before the number: spaces, at most one sign and one euro sign, in any order.
	for i < len(b) {
		if n := space(b[i:]); n > 0 {
			i += n
			changed = true
			continue
		}
		switch {
		case b[i] == '-' || b[i] == '+':
			if sign != 0 {
				return nil, false
			}
			sign = b[i]
			i++
			continue
		case bytes.HasPrefix(b[i:], []byte(euro)):
			if sawEuro {
				return nil, false
			}
			sawEuro, changed = true, true
			i += len(euro)
			continue
		}
		break
	}
	if sign != 0 {
		dst = append(dst, sign)
	}
	// The number: digits, '.', ',' and spaces between a digit and three digits.
	start := len(dst)
	for i < len(b) {
		c := b[i]
		if c >= '0' && c <= '9' || c == '.' || c == ',' {
			dst = append(dst, c)
			i++
			continue
		}
		n := space(b[i:])
		if n == 0 {
			break
		}
		if len(dst) > start && isDigit(dst[len(dst)-1]) && threeDigits(b[i+n:]) {
			dst = append(dst, '.')
			i += n
			changed = true
			continue
		}
		break
	}
	// After it: spaces and a euro sign, when there was none before.
	for i < len(b) {
		if n := space(b[i:]); n > 0 {
			i += n
			changed = true
			continue
		}
		if !sawEuro && bytes.HasPrefix(b[i:], []byte(euro)) {
			sawEuro, changed = true, true
			i += len(euro)
			continue
		}
		return nil, false
	}
	if len(dst) == start || len(dst) > maxPlain || !changed {
		return nil, false
	}
	return dst, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// threeDigits reports whether b starts with exactly three digits.
func threeDigits(b []byte) bool {
	return len(b) >= 3 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && (len(b) == 3 || !isDigit(b[3]))
}

// parse is Parse without the decorations.
func parse(b []byte, decimal byte) (Amount, error) {
	group := byte(0) // never matches a digit
	if decimal == ',' {
		group = '.'
	}
	i, n := 0, len(b)
	neg := false
	if i < n && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	intDigits, sinceGroup, grouped := 0, 0, false
	for ; i < n; i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if v > (1<<63-1)/10/Scale {
				return 0, fmt.Errorf("%w: %s", ErrRange, quote(b))
			}
			v = v*10 + uint64(c-'0')
			intDigits++
			sinceGroup++
			continue
		case group != 0 && c == group:
			if intDigits == 0 || (grouped && sinceGroup != 3) || (!grouped && sinceGroup > 3) {
				return 0, badDecimal(b)
			}
			grouped, sinceGroup = true, 0
			continue
		}
		break
	}
	if intDigits == 0 && (i >= n || b[i] != decimal) || grouped && sinceGroup != 3 {
		return 0, badDecimal(b)
	}
	v *= Scale
	if i < n {
		if b[i] != decimal {
			return 0, badDecimal(b)
		}
		i++
		frac, unit := uint64(0), uint64(Scale)
		start := i
		for ; i < n; i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, badDecimal(b)
			}
			if i-start >= Digits {
				return 0, fmt.Errorf("%w: %s has more than %d fraction digits", ErrPrecision, quote(b), Digits)
			}
			unit /= 10
			frac += uint64(c-'0') * unit
		}
		if i == start && intDigits == 0 {
			return 0, badDecimal(b)
		}
		v += frac
	}
	if v > 1<<63-1 {
		return 0, fmt.Errorf("%w: %s", ErrRange, quote(b))
	}
	if neg {
		return Amount(-int64(v)), nil
	}
	return Amount(v), nil
}

// ParseString is Parse for a string with '.' as the decimal separator.
func ParseString(s string) (Amount, error) { return Parse([]byte(s), '.') }

// MustParse is ParseString for constants in tests and examples; it panics on bad input.
func MustParse(s string) Amount {
	a, err := ParseString(s)
	if err != nil {
		panic(err)
	}
	return a
}

// FromFloat converts a float64 read from a database (REAL column) to the nearest Amount,
// by its shortest decimal text. It fails when that text has more than Digits fraction digits.
func FromFloat(f float64) (Amount, error) {
	return Parse([]byte(strconv.FormatFloat(f, 'f', -1, 64)), '.')
}

// String returns the shortest exact decimal text: "1234.56", "-0.5", "12".
func (a Amount) String() string { return formatScaled(big.NewInt(int64(a))) }

// Rat returns a as an exact fraction.
func (a Amount) Rat() *big.Rat { return big.NewRat(int64(a), Scale) }

// Sum is an exact sum of Amounts of any size. The zero value is 0. It stays in an int64
// while it fits and moves to a big.Int on overflow.
type Sum struct {
	small int64
	big   *big.Int
}

// Add adds a to s.
func (s *Sum) Add(a Amount) {
	r := s.small + int64(a)
	if (s.small^r)&(int64(a)^r) < 0 { // signed overflow
		s.spill()
		s.big.Add(s.big, big.NewInt(int64(a)))
		return
	}
	s.small = r
}

// AddSum adds o to s.
func (s *Sum) AddSum(o Sum) {
	if o.big != nil {
		s.spill()
		s.big.Add(s.big, o.big)
	}
	s.Add(Amount(o.small))
}

// spill moves the int64 part into a new big.Int, so that a copy of s made earlier
// never shares the big.Int that s is about to change.
func (s *Sum) spill() {
	b := big.NewInt(s.small)
	if s.big != nil {
		b.Add(b, s.big)
	}
	s.big = b
	s.small = 0
}

// Int returns the sum in units of 1/Scale.
func (s Sum) Int() *big.Int {
	v := big.NewInt(s.small)
	if s.big != nil {
		v.Add(v, s.big)
	}
	return v
}

// Rat returns the sum as an exact fraction.
func (s Sum) Rat() *big.Rat { return new(big.Rat).SetFrac(s.Int(), big.NewInt(Scale)) }

// Sign returns -1, 0 or +1.
func (s Sum) Sign() int { return s.Int().Sign() }

// String returns the shortest exact decimal text of s.
func (s Sum) String() string { return formatScaled(s.Int()) }

// SumOf returns the exact sum of amounts.
func SumOf(amounts ...Amount) Sum {
	var s Sum
	for _, a := range amounts {
		s.Add(a)
	}
	return s
}

// formatScaled formats v/Scale exactly, without trailing fraction zeros.
func formatScaled(v *big.Int) string {
	neg := v.Sign() < 0
	digits := new(big.Int).Abs(v).String()
	if len(digits) <= Digits {
		digits = strings.Repeat("0", Digits-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-Digits], strings.TrimRight(digits[len(digits)-Digits:], "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// FormatRat formats r rounded half away from zero to digits fraction digits, as exact
// decimal text without trailing zeros ("12.5", "-3", "0.3333").
func FormatRat(r *big.Rat, digits int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	q, m := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	// round half away from zero: |2m| >= denom
	if m.Sign() != 0 {
		twice := new(big.Int).Abs(m)
		twice.Lsh(twice, 1)
		if twice.Cmp(r.Denom()) >= 0 {
			if r.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	neg := q.Sign() < 0
	s := new(big.Int).Abs(q).String()
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	whole, frac := s[:len(s)-digits], strings.TrimRight(s[len(s)-digits:], "0")
	if frac != "" {
		whole += "." + frac
	}
	if neg && whole != "0" {
		whole = "-" + whole
	}
	return whole
}

func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:37]) + "...")
	}
	return strconv.Quote(string(b))
}

func badDecimal(b []byte) error { return fmt.Errorf("%w: %s", ErrSyntax, quote(b)) }
