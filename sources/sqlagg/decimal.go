package sqlagg

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/money"
)

// parseSum parses the decimal text of a sum the database computed exactly (NUMERIC or
// DECIMAL arithmetic): "1234.5600", "-3", NULL for none. Trailing fraction zeros are
// dropped; more than money.Digits other fraction digits cannot come from amounts that
// have at most that many, and are an error. A sum beyond the range of an Amount is
// exact too.
func parseSum(v sql.NullString) (money.Sum, error) {
	var s money.Sum
	if !v.Valid {
		return s, nil
	}
	text := trimZeros(v.String)
	a, err := money.ParseString(text)
	switch {
	case err == nil:
		s.Add(a)
		return s, nil
	case errors.Is(err, money.ErrRange):
		return bigSum(text)
	}
	return s, fmt.Errorf("%w: sum %q: %w", ErrResult, v.String, err)
}

// trimZeros drops the trailing zeros of the fraction of decimal text: "1.2300" is
// "1.23", "5.000" is "5".
func trimZeros(text string) string {
	if strings.IndexByte(text, '.') < 0 {
		return text
	}
	return strings.TrimSuffix(strings.TrimRight(text, "0"), ".")
}

// bigSum returns the exact Sum of decimal text too large for an Amount.
func bigSum(text string) (money.Sum, error) {
	var s money.Sum
	whole, frac, _ := strings.Cut(text, ".")
	frac += strings.Repeat("0", money.Digits-len(frac))
	v, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok || len(frac) != money.Digits {
		return s, fmt.Errorf("%w: sum %q is not a decimal", ErrResult, text)
	}
	// Add the value in steps of the largest Amount: a Sum has no constructor from a
	// big.Int, and a sum of more than 10^14 currency units takes few steps.
	step := big.NewInt(math.MaxInt64)
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(v), step, new(big.Int))
	if !q.IsInt64() || q.Int64() > 1<<20 {
		return s, fmt.Errorf("%w: sum %q is out of range", ErrResult, text)
	}
	sign := int64(v.Sign())
	for range q.Int64() {
		s.Add(money.Amount(sign * math.MaxInt64))
	}
	s.Add(money.Amount(sign * m.Int64()))
	return s, nil
}

// parseCount parses a count or a sum of whole numbers; NULL is 0.
func parseCount(v sql.NullString) (int64, error) {
	if !v.Valid {
		return 0, nil
	}
	text := v.String
	if i := strings.IndexByte(text, '.'); i >= 0 && strings.Trim(text[i+1:], "0") == "" {
		text = text[:i]
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: count %q", ErrResult, v.String)
	}
	return n, nil
}
