package sqlagg

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
)

// maskBits is the number of intervals per mask word: 63, so that every mask literal is
// a positive BIGINT in every engine.
const maskBits = 63

// gen writes the statements of one plan. The plan's days are cut into intervals at
// every window boundary: cuts[0] < cuts[1] < … < cuts[n-1], interval k is
// [cuts[k], cuts[k+1]). A date's position is the number of cuts at or before it, 0…n;
// a date in interval k has position k+1.
type gen struct {
	d            Dialect
	loc          *time.Location
	plan         *kpi.Plan
	cuts         []period.Date
	dimLo, dimHi int      // cut indexes of plan.Dimension
	win          [][2]int // cut indexes of each window of the plan
	words        int      // mask words per customer
}

func newGen(d Dialect, loc *time.Location, plan *kpi.Plan) *gen {
	cuts := []period.Date{plan.Dimension.Start, plan.Dimension.End}
	for _, w := range plan.Windows {
		cuts = append(cuts, w.Start, w.End)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	idx := func(d period.Date) int { i, _ := slices.BinarySearch(cuts, d); return i }
	g := &gen{d: d, loc: loc, plan: plan, cuts: cuts,
		dimLo: idx(plan.Dimension.Start), dimHi: idx(plan.Dimension.End),
		words: (len(cuts) - 1 + maskBits - 1) / maskBits}
	for _, w := range plan.Windows {
		g.win = append(g.win, [2]int{idx(w.Start), idx(w.End)})
	}
	return g
}

// n returns the number of cuts.
func (g *gen) n() int { return len(g.cuts) }

func (g *gen) params() *Params { return NewParams(g.d, g.loc) }

// col returns alias.column, quoted.
func (g *gen) col(alias, name string) string { return alias + "." + g.d.Quote(name) }

func (g *gen) text(expr string) string { return g.d.Cast(expr, CastText) }
func (g *gen) key(expr string) string  { return g.d.Cast(expr, CastKey) }

// enum returns the lower-case text of expr, compared byte by byte.
func (g *gen) enum(expr string) string {
	return g.d.Cast("LOWER("+g.d.Cast(expr, CastText)+")", CastKey)
}

// enumIn returns the condition "enum column x, in any case, is one of vals"; all are
// the column's values. LOWER, which is slow in some engines and collations, runs only
// for values that are not already one of them in lower case.
func (g *gen) enumIn(x string, all, vals []string) string {
	return "CASE WHEN " + g.key(x) + " IN (" + sqlList(all) + ") THEN " + g.key(x) + " IN (" + sqlList(vals) +
		") ELSE " + g.enum(x) + " IN (" + sqlList(vals) + ") END"
}

// enumNotIn returns the condition "enum column x has a value that is none of all, in
// any case".
func (g *gen) enumNotIn(x string, all []string) string {
	return g.key(x) + " NOT IN (" + sqlList(all) + ") AND " + g.enum(x) + " NOT IN (" + sqlList(all) + ")"
}

// empty returns the condition "column alias.name has no value": NULL, or for text an
// empty string.
func (g *gen) empty(t *table, alias, name string) string {
	x := g.col(alias, name)
	if t.cols[name].class.textLike() {
		return "(" + x + " IS NULL OR " + g.key(x) + " = '')"
	}
	return x + " IS NULL"
}

// orEmpty returns the key of a dimension column, or the empty string when it has
// none or the table lacks the column.
func (g *gen) orEmpty(t *table, alias, name string) string {
	if !t.has(name) {
		return "''"
	}
	return "COALESCE(" + g.key(g.col(alias, name)) + ", '')"
}

// before returns "date column < cut i".
func (g *gen) before(p *Params, t *table, alias, name string, i int) string {
	return g.d.Before(g.col(alias, name), t.cols[name].class, g.cuts[i], p)
}

// within returns "cut lo <= date column < cut hi"; NULL when the date is NULL.
func (g *gen) within(p *Params, t *table, alias, name string, lo, hi int) string {
	return "(NOT (" + g.before(p, t, alias, name, lo) + ") AND " + g.before(p, t, alias, name, hi) + ")"
}

// pos returns the position of a date column (0…n), or null when it is NULL.
func (g *gen) pos(p *Params, t *table, alias, name, null string) string {
	if !t.has(name) {
		return null
	}
	x := g.col(alias, name)
	tree := SearchTree(g.n(),
		func(i int) string { return g.before(p, t, alias, name, i) },
		strconv.Itoa)
	return "CASE WHEN " + x + " IS NULL THEN " + null + " ELSE " + tree + " END"
}

// positions returns a derived table of every position k (0…n) of a date, with d = 1
// for the intervals of the dimension window. A statement that groups by a date's
// position joins it on the position and groups by its k: an engine that estimates the
// number of groups from statistics (PostgreSQL) then sees that there are few and
// aggregates in parallel, instead of expecting one group per distinct timestamp.
func (g *gen) positions() string {
	var b strings.Builder
	b.WriteString("(")
	for k := 0; k <= g.n(); k++ {
		d := 0
		if k-1 >= g.dimLo && k-1 < g.dimHi {
			d = 1
		}
		if k == 0 {
			fmt.Fprintf(&b, "SELECT %d AS k, %d AS d", k, d)
			continue
		}
		fmt.Fprintf(&b, " UNION ALL SELECT %d, %d", k, d)
	}
	b.WriteString(")")
	return b.String()
}

// joinPositions returns the LEFT JOIN of the positions (alias iv) on the position of a
// date column; iv.k is NULL when the date is.
func (g *gen) joinPositions(p *Params, t *table, alias, name string) string {
	return "\nLEFT JOIN " + g.positions() + " AS iv ON iv.k = " + g.pos(p, t, alias, name, "NULL")
}

// bits returns the bit of a date's interval in mask word w (0 when its interval is in
// another word). The date must be in the plan's span and not NULL.
func (g *gen) bits(p *Params, t *table, alias, name string, w int) string {
	tree := SearchTree(g.n(),
		func(i int) string { return g.before(p, t, alias, name, i) },
		func(pos int) string {
			k := pos - 1 - w*maskBits
			if pos < 1 || pos > g.n()-1 || k < 0 || k >= maskBits {
				return "0"
			}
			return strconv.FormatInt(1<<k, 10)
		})
	return g.d.Cast(tree, CastInt)
}

// windowMask returns mask word w of window i.
func (g *gen) windowMask(i, w int) int64 {
	var m int64
	for k := g.win[i][0]; k < g.win[i][1]; k++ {
		if k/maskBits == w {
			m |= 1 << (k % maskBits)
		}
	}
	return m
}

// sqlList returns 'a', 'b' for values that hold no quote.
func sqlList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// statement is one query and what to do with its rows.
type statement struct {
	table string
	title string // what it computes, for Explain and errors
	query string
	args  []Arg
	cols  int
	row   func(v []sql.NullString) error
}

// stmt finishes a statement written with p.
func (g *gen) stmt(p *Params, table, title, query string, cols int, row func([]sql.NullString) error) *statement {
	q, args := p.finish(query)
	return &statement{table: table, title: title, query: q, args: args, cols: cols, row: row}
}

// union joins SELECTs into one statement.
func union(selects ...string) string { return strings.Join(selects, "\nUNION ALL\n") }

// selectList formats the expressions of a SELECT.
func selectList(exprs ...string) string { return "SELECT " + strings.Join(exprs, ",\n  ") }

// pad returns exprs followed by NULLs up to n expressions.
func (g *gen) pad(n int, exprs ...string) []string {
	for len(exprs) < n {
		exprs = append(exprs, g.text("NULL"))
	}
	return exprs
}
