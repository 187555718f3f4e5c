package sqlagg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// evalTree evaluates an expression of SearchTree for value x, where less(i) was
// "x < i" (bound i is the number i): it follows the CASE branches.
func evalTree(t *testing.T, expr string, x int) string {
	t.Helper()
	for strings.HasPrefix(expr, "CASE WHEN x < ") {
		rest := strings.TrimPrefix(expr, "CASE WHEN x < ")
		num, rest, _ := strings.Cut(rest, " THEN ")
		bound, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("bad tree %q", expr)
		}
		then, els := splitCase(t, rest)
		if x < bound {
			expr = then
		} else {
			expr = els
		}
	}
	return expr
}

// splitCase splits "A ELSE B END" at the ELSE of this CASE level.
func splitCase(t *testing.T, s string) (then, els string) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "CASE "):
			depth++
		case strings.HasPrefix(s[i:], " END") && depth > 0:
			depth--
		case strings.HasPrefix(s[i:], " ELSE ") && depth == 0:
			return s[:i], strings.TrimSuffix(s[i+len(" ELSE "):], " END")
		}
	}
	t.Fatalf("no ELSE in %q", s)
	return "", ""
}

func TestSearchTree(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 26, 37, 64} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			bounds := make([]int, n) // bound i is 10*(i+1)
			for i := range bounds {
				bounds[i] = 10 * (i + 1)
			}
			expr := SearchTree(n, func(i int) string { return "x < " + strconv.Itoa(bounds[i]) }, strconv.Itoa)
			if got := strings.Count(expr, "CASE WHEN"); got != n {
				t.Errorf("%d comparisons, want one per bound (%d)", got, n)
			}
			for x := 0; x <= 10*(n+1); x++ {
				want := 0
				for _, b := range bounds {
					if x >= b {
						want++
					}
				}
				if got := evalTree(t, expr, x); got != strconv.Itoa(want) {
					t.Fatalf("x = %d: got %s, want %d bounds at or below", x, got, want)
				}
			}
		})
	}
}

func TestSearchTreeMergesEqualLeaves(t *testing.T) {
	// Leaves 0 except for k = 5: only the bounds around it need comparing.
	expr := SearchTree(16, func(i int) string { return "x < " + strconv.Itoa(i) }, func(k int) string {
		if k == 5 {
			return "1"
		}
		return "0"
	})
	if n := strings.Count(expr, "CASE WHEN"); n > 6 {
		t.Errorf("%d comparisons for one non-zero leaf: %s", n, expr)
	}
	if got := SearchTree(8, func(int) string { return "x" }, func(int) string { return "7" }); got != "7" {
		t.Errorf("all leaves equal: %q, want 7", got)
	}
}

// dialectStub numbers placeholders like PostgreSQL or not, like MySQL.
type dialectStub struct {
	Dialect
	numbered bool
}

func (d dialectStub) Numbered() bool { return d.numbered }
func (d dialectStub) Placeholder(n int, typ string) string {
	if d.numbered {
		return "$" + strconv.Itoa(n) + "::" + typ
	}
	return "?"
}

func TestParamsFinish(t *testing.T) {
	tests := []struct {
		name     string
		numbered bool
		want     string
		args     []any
	}{
		{"numbered", true, "a < $1::date AND b < $2::bigint OR a >= $1::date OR c = $3::text", []any{"2026-10-01", int64(7), "x"}},
		{"positional", false, "a < ? AND b < ? OR a >= ? OR c = ?", []any{"2026-10-01", int64(7), "2026-10-01", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewParams(dialectStub{numbered: tt.numbered}, time.UTC)
			// Written out of order: the text decides the order of the parameters.
			c := p.Bind("", "x", TypeText)
			b := p.Bind("", int64(7), TypeBigint)
			a := p.Bind("cut", "2026-10-01", TypeDate)
			a2 := p.Bind("cut", "ignored: same key", TypeDate)
			q, args := p.finish("a < " + a + " AND b < " + b + " OR a >= " + a2 + " OR c = " + c)
			if q != tt.want {
				t.Errorf("query\n got %s\nwant %s", q, tt.want)
			}
			var vals []any
			for _, a := range args {
				vals = append(vals, a.Value)
			}
			if diff := cmp.Diff(tt.args, vals); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSum(t *testing.T) {
	big := func() money.Sum {
		var sum money.Sum
		for range 3 {
			sum.Add(money.MustParse("400000000000000.1234"))
		}
		return sum
	}
	tests := []struct {
		in      string
		null    bool
		want    string
		wantErr error
	}{
		{in: "1234.5600", want: "1234.56"},
		{in: "-0.0000", want: "0"},
		{in: "12", want: "12"},
		{in: "-12.3456", want: "-12.3456"},
		{in: "7.000000000", want: "7"},
		{null: true, want: "0"},
		{in: "1200000000000000.3702", want: big().String()},
		{in: "-1200000000000000.3702", want: "-" + big().String()},
		{in: "1.23456", wantErr: money.ErrPrecision},
		{in: "NaN", wantErr: money.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSum(sql.NullString{String: tt.in, Valid: !tt.null})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrResult) {
					t.Fatalf("err = %v, want %v and %v", err, tt.wantErr, ErrResult)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "42": 42, "42.0000": 42, "-3": -3} {
		if got, err := parseCount(sql.NullString{String: in, Valid: true}); err != nil || got != want {
			t.Errorf("parseCount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseCount(sql.NullString{String: "4.5", Valid: true}); !errors.Is(err, ErrResult) {
		t.Errorf("4.5: err = %v, want ErrResult", err)
	}
}

func TestRedact(t *testing.T) {
	const dsn = "postgres://kpi:s3cret-pw@db.example:5432/sales"
	err := fmt.Errorf("connect to postgres: %w", fmt.Errorf("dial %s: password s3cret-pw rejected: %w", dsn, context.DeadlineExceeded))
	got := Redact(err, dsn, "s3cret-pw")
	if strings.Contains(got.Error(), "s3cret") {
		t.Errorf("secret in %q", got)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("errors.Is lost the cause: %v", got)
	}
	if errors.Unwrap(got) != nil {
		t.Errorf("the redacted error unwraps to the original text")
	}
	plain := errors.New("nothing secret")
	if Redact(plain, dsn) != plain {
		t.Errorf("an error without secrets changed")
	}
	if Redact(nil, dsn) != nil {
		t.Errorf("nil changed")
	}
}

func TestNewGenCutsAndMasks(t *testing.T) {
	d := func(y int, m time.Month, day int) period.Date { return period.FromYMD(y, m, day) }
	oct, nov := period.Range{Start: d(2026, 10, 1), End: d(2026, 11, 1)}, period.Range{Start: d(2026, 11, 1), End: d(2026, 12, 1)}
	both := period.Range{Start: oct.Start, End: nov.End}
	plan := newPlan([]period.Range{oct, both, nov}, nov)
	g := newGen(dialectStub{}, time.UTC, plan)
	if diff := cmp.Diff([]period.Date{oct.Start, nov.Start, nov.End}, g.cuts); diff != "" {
		t.Errorf("cuts (-want +got):\n%s", diff)
	}
	if g.dimLo != 1 || g.dimHi != 2 || g.words != 1 {
		t.Errorf("dim [%d, %d), %d words; want [1, 2), 1", g.dimLo, g.dimHi, g.words)
	}
	for i, want := range []int64{1, 3, 2} {
		if got := g.windowMask(i, 0); got != want {
			t.Errorf("window %s: mask %b, want %b", plan.Windows[i], got, want)
		}
	}
}

func newPlan(windows []period.Range, dim period.Range) *kpi.Plan {
	return &kpi.Plan{Windows: windows, Dimension: dim}
}
