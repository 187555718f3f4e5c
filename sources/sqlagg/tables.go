package sqlagg

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/sources"
)

// table is a canonical table as one database holds it.
type table struct {
	def    *sources.TableDef
	from   string // the FROM item without alias: a quoted name or a parenthesised query
	query  string // the query errors name: the override, or SELECT * FROM the table
	cols   map[string]column
	unique bool // the unique column is known to be unique (a unique index)
}

// column is a canonical column of a table.
type column struct {
	name   string
	dbType string
	class  Class
	scale  int64 // fraction digits of a decimal; -1 when unknown
}

func (t *table) has(name string) bool { _, ok := t.cols[name]; return ok }

// resolve finds every canonical table: where it comes from, which canonical columns it
// has and of what class. An optional table without an override that does not exist is
// left out (nil).
func (s *Source) resolve(ctx context.Context, tx *sql.Tx) (map[string]*table, error) {
	ts := make(map[string]*table, len(sources.Schema))
	for i := range sources.Schema {
		def := &sources.Schema[i]
		t, err := s.resolveTable(ctx, tx, def)
		if err != nil {
			return nil, err
		}
		if t != nil {
			ts[def.Name] = t
		}
	}
	return ts, nil
}

func (s *Source) resolveTable(ctx context.Context, tx *sql.Tx, def *sources.TableDef) (*table, error) {
	d := s.d
	ov := s.opt.Tables[def.Name]
	t := &table{def: def}
	switch {
	case ov.File != "":
		return nil, fmt.Errorf("%w: tables.%s.file does not apply to a %s source (use table or query)", sources.ErrOptions, def.Name, d.Name())
	case ov.Query != "":
		q := strings.TrimSpace(ov.Query)
		for strings.HasSuffix(q, ";") {
			q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
		}
		if q == "" || strings.Contains(q, markerByte) {
			return nil, fmt.Errorf("%w: tables.%s.query is empty or holds a NUL byte", sources.ErrOptions, def.Name)
		}
		// On lines of its own, so that a comment at the end of the query ends there.
		t.from, t.query = "(\n"+q+"\n)", q
	default:
		name := def.Name
		if ov.Name != "" {
			name = ov.Name
		}
		parts := strings.Split(name, ".")
		if len(parts) > 2 || slices.Contains(parts, "") || strings.Contains(name, markerByte) {
			return nil, fmt.Errorf("%w: tables.%s.table: %s is not a table name (table or schema.table)", sources.ErrOptions, def.Name, quote(name))
		}
		exists, unique, err := d.Catalog(ctx, tx, parts)
		if err != nil {
			return nil, fmt.Errorf("table %s: look up %s: %w", def.Name, name, err)
		}
		if !exists {
			if !def.Required && ov.Name == "" {
				return nil, nil
			}
			return nil, fmt.Errorf("%w %s: %s does not exist", sources.ErrMissingTable, def.Name, quote(name))
		}
		quoted := make([]string, len(parts))
		for i, p := range parts {
			quoted[i] = d.Quote(p)
		}
		t.from = strings.Join(quoted, ".")
		t.query = "SELECT * FROM " + t.from
		for _, c := range def.Columns {
			t.unique = t.unique || c.Unique && slices.Contains(unique, c.Name)
		}
	}
	if err := s.probe(ctx, tx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// probe reads the column names and types of t's rows (without reading a row) and
// checks them against the data contract.
func (s *Source) probe(ctx context.Context, tx *sql.Tx, t *table) error {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+t.from+" AS t LIMIT 0")
	if err != nil {
		return fmt.Errorf("table %s: %s: %w", t.def.Name, t.query, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("table %s: %s: %w", t.def.Name, t.query, err)
	}
	found := make(map[string]*sql.ColumnType, len(types))
	for _, ct := range types {
		if _, dup := found[ct.Name()]; dup {
			if t.def.Column(ct.Name()) != nil {
				return &ColumnError{Table: t.def.Name, Column: ct.Name(), Query: t.query,
					Err: &problem{"the result has it twice", sources.ErrDuplicateColumn}}
			}
			continue
		}
		found[ct.Name()] = ct
	}
	t.cols = make(map[string]column)
	for _, def := range t.def.Columns {
		ct, ok := found[def.Name]
		if !ok {
			if def.Need == sources.Required {
				return &ColumnError{Table: t.def.Name, Column: def.Name, Query: t.query,
					Err: &problem{"missing", sources.ErrMissingColumn}}
			}
			continue
		}
		c := column{name: def.Name, dbType: ct.DatabaseTypeName(), scale: -1}
		c.class = s.d.Class(c.dbType)
		if _, scale, ok := ct.DecimalSize(); ok && c.class == ClassDecimal {
			c.scale = scale
		}
		if c.class == ClassInteger {
			c.scale = 0
		}
		if err := checkClass(def, c); err != nil {
			return &ColumnError{Table: t.def.Name, Column: def.Name, Query: t.query, Err: err}
		}
		t.cols[def.Name] = c
	}
	return rows.Err()
}

// checkClass reports whether a column of class c can hold the values of def.
func checkClass(def sources.ColumnDef, c column) error {
	bad := func(want string) error {
		return &problem{"type " + c.dbType + " is not " + want, ErrColumnType}
	}
	switch def.Type {
	case sources.Date:
		if !c.class.IsDate() {
			return bad("a date or timestamp (want a date, timestamp or timestamp with time zone type)")
		}
	case sources.Decimal:
		switch c.class {
		case ClassDecimal, ClassInteger:
		case ClassFloat:
			return bad("exact: money must be NUMERIC/DECIMAL (cast it in a query)")
		default:
			return bad("a decimal (want NUMERIC/DECIMAL or an integer type)")
		}
	case sources.Bool:
		if c.class != ClassBool && c.class != ClassInteger && !c.class.textLike() {
			return bad("a bool (want a boolean, 0/1 or text true/false, yes/no, 1/0)")
		}
	case sources.Enum:
		if !c.class.textLike() {
			return bad("text (want one of " + strings.Join(def.Values, ", ") + ")")
		}
	}
	return nil
}

// scaleOK reports whether a decimal column cannot hold more fraction digits than an
// amount has.
func (c column) scaleOK() bool { return c.scale >= 0 && c.scale <= money.Digits }
