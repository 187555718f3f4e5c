package sqlagg

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/sources"
)

// check is one rule of the data contract as an SQL condition that is true for a bad row.
type check struct {
	column string
	cond   string
	value  bool // the error shows the column's value
	err    func(value string) error
}

// checks returns the rules of the data contract for t's rows (alias t), in the order of
// its columns, as the CSV source applies them. Types are already checked: a date column
// holds dates, a decimal column decimals.
func (g *gen) checks(t *table) []check {
	var cs []check
	for _, def := range t.def.Columns {
		c, ok := t.cols[def.Name]
		x := g.col("t", def.Name)
		switch {
		case !ok && def.RequiredWhen != nil && t.has(def.RequiredWhen.Column):
			w := def.RequiredWhen
			cs = append(cs, check{column: def.Name,
				cond: g.enumIn(g.col("t", w.Column), t.def.Column(w.Column).Values, w.Values),
				err:  missing("required when " + w.Column + " is " + strings.Join(w.Values, " or "))})
			continue
		case !ok:
			continue
		}
		switch def.Need {
		case sources.Required:
			cs = append(cs, check{column: def.Name, cond: g.empty(t, "t", def.Name), err: missing("")})
		case sources.NotEmpty:
			cs = append(cs, check{column: def.Name, cond: g.empty(t, "t", def.Name),
				err: missing("the " + def.Name + " column is there, so every row needs one")})
		}
		if w := def.RequiredWhen; w != nil && t.has(w.Column) {
			cs = append(cs, check{column: def.Name,
				cond: g.empty(t, "t", def.Name) + " AND " + g.enumIn(g.col("t", w.Column), t.def.Column(w.Column).Values, w.Values),
				err:  missing("required when " + w.Column + " is " + strings.Join(w.Values, " or "))})
		}
		set := "NOT " + g.empty(t, "t", def.Name)
		if !c.class.textLike() {
			set = x + " IS NOT NULL"
		}
		switch def.Type {
		case sources.Decimal:
			if !c.scaleOK() {
				cs = append(cs, check{column: def.Name, cond: x + " <> ROUND(" + x + ", " + strconv.Itoa(money.Digits) + ")", value: true,
					err: func(v string) error {
						return &problem{fmt.Sprintf("%s has more than %d fraction digits", quote(v), money.Digits), money.ErrPrecision}
					}})
			}
			if def.NonNegative {
				cs = append(cs, check{column: def.Name, cond: x + " < 0", value: true,
					err: func(v string) error { return &problem{quote(v) + " is negative", sources.ErrNegative} }})
			}
		case sources.Bool:
			notBool := func(v string) error {
				return &problem{quote(v) + " is not a bool (true/false, 1/0, yes/no)", sources.ErrBadEnum}
			}
			switch {
			case c.class == ClassInteger:
				cs = append(cs, check{column: def.Name, cond: x + " NOT IN (0, 1)", value: true, err: notBool})
			case c.class.textLike():
				cs = append(cs, check{column: def.Name, value: true, err: notBool,
					cond: "(" + set + " AND " + g.enumNotIn(x, boolValues) + ")"})
			}
		case sources.Enum:
			values := def.Values
			cs = append(cs, check{column: def.Name, value: true,
				cond: "(" + set + " AND " + g.enumNotIn(x, values) + ")",
				err: func(v string) error {
					return &problem{quote(v) + " is not one of " + strings.Join(values, ", "), sources.ErrBadEnum}
				}})
		}
	}
	return cs
}

// boolValues are the spellings of a bool in text, in lower case.
var boolValues = []string{"true", "false", "1", "0", "yes", "no"}

func missing(why string) func(string) error {
	msg := "missing value"
	if why != "" {
		msg += " (" + why + ")"
	}
	return func(string) error { return &problem{msg, sources.ErrEmptyRequired} }
}

// badCount returns the text of the number of t's rows that break a rule.
func (g *gen) badCount(cs []check) string {
	if len(cs) == 0 {
		return g.text("0")
	}
	conds := make([]string, len(cs))
	for i, c := range cs {
		conds[i] = "(" + c.cond + ")"
	}
	return g.text("SUM(CASE WHEN " + strings.Join(conds, " OR ") + " THEN 1 ELSE 0 END)")
}

// idColumn returns the column that names a row of t in errors: the first required text
// column (order_id, customer_id, lead_id, deal_id, call_id); "" when it has none.
func idColumn(t *table) string {
	for _, c := range t.def.Columns {
		if c.Need == sources.Required && c.Type == sources.Text {
			return c.Name
		}
	}
	return ""
}

// locate returns the statement that finds the first bad row of t (by id) and the error
// it describes.
func (g *gen) locate(t *table, cs []check, fail *error) *statement {
	p := g.params()
	var which, value, conds []string
	for i, c := range cs {
		which = append(which, "WHEN "+c.cond+" THEN "+strconv.Itoa(i+1))
		v := "''"
		if c.value {
			v = g.text(g.col("t", c.column))
		}
		value = append(value, "WHEN "+c.cond+" THEN "+v)
		conds = append(conds, "("+c.cond+")")
	}
	id := idColumn(t)
	idExpr, order := g.text("NULL"), ""
	if id != "" {
		idExpr, order = g.text(g.col("t", id)), "\nORDER BY 3"
	}
	q := selectList("CASE "+strings.Join(which, " ")+" END", "CASE "+strings.Join(value, " ")+" END", idExpr) +
		"\nFROM " + t.from + " AS t\nWHERE " + strings.Join(conds, " OR ") + order + "\nLIMIT 1"
	return g.stmt(p, t.def.Name, "the first row that breaks the data contract", q, 3, func(v []sql.NullString) error {
		i, err := strconv.Atoi(v[0].String)
		if err != nil || i < 1 || i > len(cs) {
			return fmt.Errorf("%w: check %q", ErrResult, v[0].String)
		}
		c := cs[i-1]
		value := v[1].String
		if t.def.Column(c.column).Type == sources.Decimal {
			value = trimZeros(value)
		}
		e := &ValueError{Table: t.def.Name, Column: c.column, Value: value, Err: c.err(value)}
		if v[2].Valid && id != "" && id != c.column {
			e.ID = id + " " + quote(v[2].String)
		}
		*fail = e
		return nil
	})
}

// duplicates returns the statement that finds an id that more than one row of t has,
// and the error it describes. It is nil when t has no unique column.
func (g *gen) duplicates(t *table, fail *error) *statement {
	var id string
	for _, c := range t.def.Columns {
		if c.Unique && t.has(c.Name) {
			id = c.Name
		}
	}
	if id == "" {
		return nil
	}
	p := g.params()
	q := selectList(g.key(g.col("t", id)), g.text("COUNT(*)")) +
		"\nFROM " + t.from + " AS t\nWHERE NOT " + g.empty(t, "t", id) +
		"\nGROUP BY 1\nHAVING COUNT(*) > 1\nORDER BY 1\nLIMIT 1"
	return g.stmt(p, t.def.Name, "ids that more than one row has", q, 2, func(v []sql.NullString) error {
		*fail = &ValueError{Table: t.def.Name, Column: id, Value: v[0].String,
			Err: &problem{fmt.Sprintf("duplicate %s (%s rows have it)", quote(v[0].String), v[1].String), sources.ErrDuplicateID}}
		return nil
	})
}
