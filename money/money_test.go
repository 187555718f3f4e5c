package money_test

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/money"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		decimal byte
		want    money.Amount // in units of 1/10000
		err     error
	}{
		{"0", '.', 0, nil},
		{"1234.56", '.', 12345600, nil},
		{"-0.5", '.', -5000, nil},
		{"+3", '.', 30000, nil},
		{"-3", '.', -30000, nil},
		{".5", '.', 5000, nil},
		{"-.5", '.', -5000, nil},
		{"+.5", '.', 5000, nil},
		{"5.", '.', 50000, nil}, // a bare trailing separator is accepted as in big.Rat
		{"-0", '.', 0, nil},
		{"0.0001", '.', 1, nil},
		{"-0.0001", '.', -1, nil},
		{"007.10", '.', 71000, nil},
		{"12.3400", '.', 123400, nil},
		{"922337203685477.5807", '.', math.MaxInt64, nil},
		{"-922337203685477.5807", '.', -math.MaxInt64, nil},
		{"000000000000000000000000001", '.', 10000, nil},

		{"1.234,56", ',', 12345600, nil},
		{"1234,56", ',', 12345600, nil},
		{"-1.234.567,8", ',', -12345678000, nil},
		{"1.000.000", ',', 10000000000, nil},
		{"12.345", ',', 123450000, nil}, // Dutch twelve thousand three hundred forty-five
		{"1,500", ',', 15000, nil},
		{"0,5", ',', 5000, nil},
		{",5", ',', 5000, nil},
		{"-,5", ',', -5000, nil},
		{"1.234,5678", ',', 12345678, nil},
		{"922.337.203.685.477,5807", ',', math.MaxInt64, nil},

		// As Dutch spreadsheets show amounts.
		{"€ 1.234,56", ',', 12345600, nil},
		{"€1.234,56", ',', 12345600, nil},
		{"1 234,56", ',', 12345600, nil},
		{"1\u00a0234\u00a0567,5", ',', 12345675000, nil},
		{"1\u202f234,56", ',', 12345600, nil},
		{"€-12,50", ',', -125000, nil},
		{"-€ 12,50", ',', -125000, nil},
		{"€ -12,50", ',', -125000, nil},
		{"12,50 €", ',', 125000, nil},
		{" 12,50 ", ',', 125000, nil},
		{"€\u00a01.234,56", ',', 12345600, nil},
		{"€ 1 23,4", ',', 0, money.ErrSyntax}, // a group of two
		{"1 2345,6", ',', 0, money.ErrSyntax}, // a group of four
		{"€ € 1", ',', 0, money.ErrSyntax},    // two euro signs
		{"--€ 1", ',', 0, money.ErrSyntax},    // two signs
		{"€ 1,5 x", ',', 0, money.ErrSyntax},  // text after
		{"€", ',', 0, money.ErrSyntax},        // no number
		{"€ 1,23456", ',', 0, money.ErrPrecision},
		{"€ 1.234,56", '.', 0, money.ErrSyntax}, // only with decimal ','
		{"$ 1,5", ',', 0, money.ErrSyntax},      // only the euro

		// The wrong decimal separator is an error, not a thousandfold amount.
		{"1,500", '.', 0, money.ErrSyntax},
		{"1,234.56", '.', 0, money.ErrSyntax},
		{"1.234,56", '.', 0, money.ErrSyntax},
		{"1,234.56", ',', 0, money.ErrSyntax},
		{"1.5", ',', 0, money.ErrSyntax},
		{"1.23", ',', 0, money.ErrSyntax},
		{"1.2345", ',', 0, money.ErrSyntax},
		{"1234.567", ',', 0, money.ErrSyntax},
		{"1.234.", ',', 0, money.ErrSyntax},
		{"1..234", ',', 0, money.ErrSyntax},
		{".234,5", ',', 0, money.ErrSyntax},
		{"1.234.56,7", ',', 0, money.ErrSyntax},

		// More than 4 fraction digits is an error, not a rounding.
		{"1.23456", '.', 0, money.ErrPrecision},
		{"0.00001", '.', 0, money.ErrPrecision},
		{"0.00000", '.', 0, money.ErrPrecision},
		{"1,23456", ',', 0, money.ErrPrecision},

		{"922337203685477.5808", '.', 0, money.ErrRange},
		{"-922337203685477.5808", '.', 0, money.ErrRange},
		{"922337203685478", '.', 0, money.ErrRange},
		{"99999999999999999999", '.', 0, money.ErrRange},
		{"922.337.203.685.478", ',', 0, money.ErrRange},

		{"", '.', 0, money.ErrSyntax},
		{"-", '.', 0, money.ErrSyntax},
		{"+", '.', 0, money.ErrSyntax},
		{".", '.', 0, money.ErrSyntax},
		{"-.", '.', 0, money.ErrSyntax},
		{",", ',', 0, money.ErrSyntax},
		{"--1", '.', 0, money.ErrSyntax},
		{"+-1", '.', 0, money.ErrSyntax},
		{"1-", '.', 0, money.ErrSyntax},
		{" 1", '.', 0, money.ErrSyntax},
		{"1 ", '.', 0, money.ErrSyntax},
		{"1 000", '.', 0, money.ErrSyntax},
		{"1.2.3", '.', 0, money.ErrSyntax},
		{"1..2", '.', 0, money.ErrSyntax},
		{"1e5", '.', 0, money.ErrSyntax},
		{"0x10", '.', 0, money.ErrSyntax},
		{"1/2", '.', 0, money.ErrSyntax},
		{"1_000", '.', 0, money.ErrSyntax},
		{"€1", '.', 0, money.ErrSyntax},
		{"1€", '.', 0, money.ErrSyntax},
		{"NaN", '.', 0, money.ErrSyntax},
		{"Inf", '.', 0, money.ErrSyntax},
		{"12abc", '.', 0, money.ErrSyntax},
		{"1.2x", '.', 0, money.ErrSyntax},
		{"(5)", '.', 0, money.ErrSyntax},
		{"٣", '.', 0, money.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(string(tt.decimal)+" "+tt.in, func(t *testing.T) {
			got, err := money.Parse([]byte(tt.in), tt.decimal)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse = %d, %v; want %v", got, err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q does not quote the value", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Parse = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   money.Amount
		want string
	}{
		{0, "0"},
		{1, "0.0001"},
		{-1, "-0.0001"},
		{10000, "1"},
		{12345600, "1234.56"},
		{-5000, "-0.5"},
		{30000, "3"},
		{123400, "12.34"},
		{math.MaxInt64, "922337203685477.5807"},
		{math.MinInt64, "-922337203685477.5808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
			if got := money.SumOf(tt.in).String(); got != tt.want {
				t.Errorf("Sum.String = %q, want %q", got, tt.want)
			}
			if want := big.NewRat(int64(tt.in), 10000); tt.in.Rat().Cmp(want) != 0 {
				t.Errorf("Rat = %s, want %s", tt.in.Rat(), want)
			}
		})
	}
}

func TestFromFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	tests := []struct {
		in   float64
		want money.Amount
		err  error
	}{
		{0.1, 1000, nil},
		{1234.56, 12345600, nil},
		{-0.0001, -1, nil},
		{tenth + fifth, 0, money.ErrPrecision}, // 0.30000000000000004
		{1e-5, 0, money.ErrPrecision},
		{1e20, 0, money.ErrRange},
		{math.NaN(), 0, money.ErrSyntax},
	}
	for _, tt := range tests {
		got, err := money.FromFloat(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("FromFloat(%v) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestSumOfDimes is the reason money is never summed as float64.
func TestSumOfDimes(t *testing.T) {
	dime := money.MustParse("0.10")
	var s money.Sum
	f := 0.0
	for range 1_000_000 {
		s.Add(dime)
		f += 0.10
	}
	if got := s.String(); got != "100000" {
		t.Errorf("exact sum = %s, want 100000", got)
	}
	if s.Rat().Cmp(big.NewRat(100000, 1)) != 0 {
		t.Errorf("exact sum as Rat = %s", s.Rat())
	}
	if f == 100000 {
		t.Errorf("float64 sum = %v: expected it to drift from 100000", f)
	}
	t.Logf("float64 sum of 0.10 × 1,000,000 = %.10f; exact sum = %s", f, s.String())
}

func TestSumSpill(t *testing.T) {
	const n = 1000
	huge := money.Amount(math.MaxInt64 - 12345) // 922337203685476.3462
	var s money.Sum
	want := new(big.Int)
	for range n {
		s.Add(huge)
		want.Add(want, big.NewInt(int64(huge)))
	}
	if s.Int().Cmp(want) != 0 {
		t.Fatalf("sum = %s, want %s", s.Int(), want)
	}
	// 1000 × 922337203685476.3462 = 922337203685476346.2
	if got := s.String(); got != "922337203685476346.2" {
		t.Errorf("String = %s", got)
	}
	if s.Sign() != 1 {
		t.Errorf("Sign = %d", s.Sign())
	}
	if want := new(big.Rat).SetFrac(want, big.NewInt(money.Scale)); s.Rat().Cmp(want) != 0 {
		t.Errorf("Rat = %s, want %s", s.Rat(), want)
	}

	t.Run("back to zero", func(t *testing.T) {
		for range n {
			s.Add(-huge)
		}
		if s.Sign() != 0 || s.String() != "0" {
			t.Errorf("sum = %s, want 0", s.String())
		}
	})
	t.Run("negative overflow", func(t *testing.T) {
		s := money.SumOf(math.MinInt64, -1, math.MinInt64)
		want := new(big.Int).Mul(big.NewInt(math.MinInt64), big.NewInt(2))
		want.Sub(want, big.NewInt(1))
		if s.Int().Cmp(want) != 0 || s.Sign() != -1 {
			t.Errorf("sum = %s, want %s", s.Int(), want)
		}
		if got := s.String(); got != "-1844674407370955.1617" {
			t.Errorf("String = %s", got)
		}
	})
	t.Run("random amounts", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		var s, half1, half2 money.Sum
		want := new(big.Int)
		for i := range 100_000 {
			a := money.Amount(r.Int64())
			if r.IntN(3) == 0 {
				a = -a
			}
			s.Add(a)
			if i%2 == 0 {
				half1.Add(a)
			} else {
				half2.Add(a)
			}
			want.Add(want, big.NewInt(int64(a)))
		}
		if s.Int().Cmp(want) != 0 {
			t.Errorf("sum = %s, want %s", s.Int(), want)
		}
		half1.AddSum(half2)
		if half1.Int().Cmp(want) != 0 {
			t.Errorf("AddSum = %s, want %s", half1.Int(), want)
		}
		var z money.Sum
		z.AddSum(s)
		if z.Int().Cmp(want) != 0 {
			t.Errorf("zero.AddSum = %s, want %s", z.Int(), want)
		}
	})
	t.Run("copies are independent", func(t *testing.T) {
		a := money.SumOf(math.MaxInt64, math.MaxInt64) // spilled
		before := a.Int()
		b := a // a value copy, as when Measures are copied into a report
		b.Add(math.MaxInt64)
		b.Add(math.MaxInt64)
		b.AddSum(a)
		if a.Int().Cmp(before) != 0 {
			t.Errorf("changing a copy changed the original: %s, was %s", a.Int(), before)
		}
		want := new(big.Int).Mul(big.NewInt(math.MaxInt64), big.NewInt(6))
		if b.Int().Cmp(want) != 0 {
			t.Errorf("copy = %s, want %s", b.Int(), want)
		}
	})
}

func TestFormatRat(t *testing.T) {
	tests := []struct {
		num, den int64
		digits   int
		want     string
	}{
		{1, 8, 2, "0.13"}, // 0.125: half away from zero
		{-1, 8, 2, "-0.13"},
		{124999, 1000000, 2, "0.12"},
		{-124999, 1000000, 2, "-0.12"},
		{1, 3, 4, "0.3333"},
		{2, 3, 4, "0.6667"},
		{-2, 3, 4, "-0.6667"},
		{1, 2, 0, "1"},
		{-1, 2, 0, "-1"},
		{3, 2, 0, "2"},
		{-3, 2, 0, "-2"},
		{5, 2, 0, "3"},
		{-5, 2, 0, "-3"},
		{2, 5, 0, "0"},
		{-2, 5, 0, "0"}, // never "-0"
		{-4, 100000, 4, "0"},
		{5, 100000, 4, "0.0001"},
		{-5, 100000, 4, "-0.0001"},
		{25, 2, 1, "12.5"},
		{25, 2, 3, "12.5"}, // no trailing zeros
		{-3, 1, 2, "-3"},
		{0, 1, 2, "0"},
		{1234567, 1000, 2, "1234.57"},
		{-1234565, 1000, 2, "-1234.57"},
		{1234564, 1000, 2, "1234.56"},
		{1, 1000, 2, "0"},
		{99995, 10000, 3, "10"}, // 9.9995 → 10.000
		{-99995, 10000, 3, "-10"},
		{1, 7, 10, "0.1428571429"},
		{3000, 61, 4, "49.1803"},
		{math.MaxInt64, 1, 2, "9223372036854775807"},
	}
	for _, tt := range tests {
		r := big.NewRat(tt.num, tt.den)
		t.Run(r.String(), func(t *testing.T) {
			if got := money.FormatRat(r, tt.digits); got != tt.want {
				t.Errorf("FormatRat(%s, %d) = %q, want %q", r, tt.digits, got, tt.want)
			}
		})
	}
	t.Run("huge", func(t *testing.T) {
		r, _ := new(big.Rat).SetString("123456789012345678901234567890.125")
		if got := money.FormatRat(r, 2); got != "123456789012345678901234567890.13" {
			t.Errorf("got %s", got)
		}
		r.Neg(r)
		if got := money.FormatRat(r, 2); got != "-123456789012345678901234567890.13" {
			t.Errorf("got %s", got)
		}
	})
}

// FuzzParse checks that Parse never panics, that errors are the package's sentinels,
// and that an accepted value is the exact decimal of its text whose String re-parses
// to the same Amount.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0", "1234.56", "-0.5", "+3", ".5", "5.", "1.234,56", "1,500", "1.23456",
		"922337203685477.5807", "922337203685477.5808", "-922.337.203.685.477,5807", "", "-", "1e5", "1..2",
		"€ 1.234,56", "1 234,56", "€-12,50", "-€ 12,50", "12,50 €", "1\u00a0234,56", "€ € 1", "€ 1 23,4", "- € 1 234 567,8901",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		decimal := byte('.')
		if comma {
			decimal = ','
		}
		a, err := money.Parse([]byte(s), decimal)
		if err != nil {
			if !errors.Is(err, money.ErrSyntax) && !errors.Is(err, money.ErrPrecision) && !errors.Is(err, money.ErrRange) {
				t.Fatalf("Parse(%q): error %v is not a sentinel", s, err)
			}
			return
		}
		back, err := money.ParseString(a.String())
		if err != nil || back != a {
			t.Fatalf("Parse(%q) = %d; String %q re-parses as %d, %v", s, a, a.String(), back, err)
		}
		// Independent check with math/big: drop the grouping, use '.' as separator.
		plain := s
		if comma {
			plain = strings.ReplaceAll(plain, ".", "")
			plain = strings.ReplaceAll(plain, ",", ".")
			// and the decorations: euro sign and spaces.
			for _, d := range []string{"€", " ", "\u00a0", "\u202f"} {
				plain = strings.ReplaceAll(plain, d, "")
			}
		}
		want, ok := new(big.Rat).SetString(plain)
		if !ok || want.Cmp(a.Rat()) != 0 {
			t.Fatalf("Parse(%q) = %s, math/big says %v (ok %v)", s, a.Rat(), want, ok)
		}
	})
}
