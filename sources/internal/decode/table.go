// Package decode turns rows of the canonical tables, as fields of bytes, into the KPI
// engine's rows: it finds the canonical columns among a source's columns, converts
// and validates every value as the data contract says, and adds the row to a
// kpi.Aggregator. The CSV and SQL sources share it, so a value means the same thing in
// both.
package decode

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
)

// Table is a canonical table bound to the columns of one source.
type Table struct {
	Def    *sources.TableDef
	Where  string   // how errors name the table: "orders.csv", "table orders"
	Names  []string // the source's column names, trimmed, by field index
	pos    []int    // canonical column → field index; -1 when the source lacks it
	idCol  int      // canonical index of the unique column; -1 when none
	unit   string   // "line" or "row"
	conds  []cond
	values [][][]byte // Enum and Bool: accepted values by canonical column
	deflt  [][]byte   // value of an empty cell by canonical column
}

// cond is a RequiredWhen rule: column col is required when column on has one of the
// enum values in values (indexes + 1, as value.enum holds them).
type cond struct {
	col, on int
	values  []uint8
	text    string // "won or lost"
}

// Bind finds the columns of def among names, the column names of a source (trimmed
// here; matched in any case). where names the table in errors. A required column that
// is missing is a *MissingColumnsError (wrapping sources.ErrMissingColumn) that names
// every missing one and the columns found.
func Bind(def *sources.TableDef, where string, names []string) (*Table, error) {
	t := &Table{
		Def:    def,
		Where:  where,
		Names:  make([]string, len(names)),
		pos:    make([]int, len(def.Columns)),
		idCol:  -1,
		unit:   "line",
		values: make([][][]byte, len(def.Columns)),
		deflt:  make([][]byte, len(def.Columns)),
	}
	if strings.HasPrefix(where, "table ") {
		t.unit = "row"
	}
	for i, n := range names {
		t.Names[i] = strings.TrimSpace(n)
	}
	var missing []string
	for i := range def.Columns {
		c := &def.Columns[i]
		t.pos[i] = -1
		for f, n := range t.Names {
			if !strings.EqualFold(n, c.Name) {
				continue
			}
			if t.pos[i] >= 0 {
				return nil, fmt.Errorf("%w %q (fields %d and %d)", sources.ErrDuplicateColumn, c.Name, t.pos[i]+1, f+1)
			}
			t.pos[i] = f
		}
		if t.pos[i] < 0 && c.Need == sources.Required {
			missing = append(missing, c.Name)
		}
		if c.Unique {
			t.idCol = i
		}
		for _, v := range c.Values {
			t.values[i] = append(t.values[i], []byte(v))
		}
		if c.Default != "" {
			t.deflt[i] = []byte(c.Default)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingColumnsError{Missing: missing, Found: t.Names}
	}
	for i := range def.Columns {
		w := def.Columns[i].RequiredWhen
		if w == nil {
			continue
		}
		on := slices.IndexFunc(def.Columns, func(c sources.ColumnDef) bool { return c.Name == w.Column })
		k := cond{col: i, on: on, text: w.Column + " is " + strings.Join(w.Values, " or ")}
		for _, v := range w.Values {
			k.values = append(k.values, uint8(slices.Index(def.Columns[on].Values, v)+1))
		}
		t.conds = append(t.conds, k)
	}
	return t, nil
}

// MissingColumnsError names every required column a table lacks, and the columns it
// has. It wraps sources.ErrMissingColumn.
type MissingColumnsError struct {
	Missing []string // the required columns not found, in the table's order
	Found   []string // the column names of the source
}

func (e *MissingColumnsError) Error() string {
	if len(e.Missing) == 1 {
		return fmt.Sprintf("%v %q (columns found: %s)", sources.ErrMissingColumn, e.Missing[0], found(e.Found))
	}
	q := make([]string, len(e.Missing))
	for i, n := range e.Missing {
		q[i] = strconv.Quote(n)
	}
	return fmt.Sprintf("%vs %s (columns found: %s)", sources.ErrMissingColumn, strings.Join(q, ", "), found(e.Found))
}

func (e *MissingColumnsError) Unwrap() error { return sources.ErrMissingColumn }

// found lists column names for an error, quoted, at most 40 of them.
func found(names []string) string {
	const most = 40
	var q []string
	for i, n := range names {
		if i == most {
			q = append(q, fmt.Sprintf("and %d more", len(names)-most))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	if len(q) == 0 {
		return "none"
	}
	return strings.Join(q, ", ")
}

// encodingError says that b is not valid UTF-8 and how to fix it: for a CSV file,
// save it as UTF-8 or name its encoding; for a database, store UTF-8 text.
func (t *Table) encodingError(b []byte) error {
	off, bad, chars := invalidUTF8(b)
	where := fmt.Sprintf("byte 0x%02X at character %d", bad, chars+1)
	if off < 0 {
		where = "invalid"
	}
	fix := `save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`
	if t.unit == "row" {
		fix = "store the text as UTF-8 in the database, or convert it to UTF-8 in the table's query (source.tables." + t.Def.Name + ".query)"
	}
	return &valueError{fmt.Sprintf("%s is not valid UTF-8 (%s): %s", quote(b), where, fix), sources.ErrEncoding}
}

// Has reports whether the source has the canonical column name.
func (t *Table) Has(name string) bool {
	i := slices.IndexFunc(t.Def.Columns, func(c sources.ColumnDef) bool { return c.Name == name })
	return i >= 0 && t.pos[i] >= 0
}

// Fields returns the number of fields of the source's rows.
func (t *Table) Fields() int { return len(t.Names) }

// IDField returns the field index of the table's unique column, or -1 when the table
// has none.
func (t *Table) IDField() int {
	if t.idCol < 0 {
		return -1
	}
	return t.pos[t.idCol]
}

// Duplicate returns the error for an id on line (or row) line that first appeared on
// line first.
func (t *Table) Duplicate(line, first int64, id []byte) error {
	return &sources.RowError{
		File: t.Where, Line: line, Column: t.Def.Columns[t.idCol].Name, Value: string(id),
		Err: &valueError{fmt.Sprintf("duplicate %s (first on %s %d)", quote(id), t.unit, first), sources.ErrDuplicateID},
	}
}

// FieldCount returns the error for a row on line with got fields instead of
// t.Fields().
func (t *Table) FieldCount(line int64, got int) error {
	return &sources.RowError{
		File: t.Where, Line: line,
		Err: &valueError{fmt.Sprintf("%d fields, the header has %d", got, len(t.Names)), sources.ErrFieldCount},
	}
}

// Availability returns the optional data a source has, given its bound tables (nil for
// a table the source lacks).
func Availability(tables []*Table) kpi.Availability {
	var has kpi.Availability
	for _, t := range tables {
		if t == nil {
			continue
		}
		switch t.Def.Name {
		case "orders":
			has.Cost = t.Has("cost")
		case "leads":
			has.Leads = true
		case "deals":
			has.Deals = true
		case "spend":
			has.Spend = true
		case "calls":
			has.Calls = true
		}
	}
	return has
}
