package config

import (
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpireport/kpireport/sources"
)

// Tables are the canonical tables of the data contract, the keys allowed in
// [source.tables].
var tables = []string{"orders", "customers", "leads", "deals", "spend", "calls"}

// sourceType is a kind of data source and the settings it uses.
type sourceType struct {
	name      string
	required  string   // the [source] key that says where the data is
	keys      []string // the [source] keys it uses, besides type and tables
	tableKeys []string // the [source.tables.<table>] keys it uses
}

// sourceTypes are the source types kpireport reads. This list is the only
// place that knows them: a new type is one entry here (and its fields).
var sourceTypes = []sourceType{
	{name: "csv", required: "dir", keys: []string{"dir", "delimiter", "decimal", "encoding", "date_format"}, tableKeys: []string{"file"}},
	{name: "sqlite", required: "path", keys: []string{"path", "date_format"}, tableKeys: []string{"table", "query"}},
	{name: "postgres", required: "dsn_env", keys: []string{"dsn_env", "statement_timeout"}, tableKeys: []string{"table", "query"}},
	{name: "mysql", required: "dsn_env", keys: []string{"dsn_env", "statement_timeout"}, tableKeys: []string{"table", "query"}},
}

func findSourceType(name string) (sourceType, bool) {
	for _, t := range sourceTypes {
		if t.name == name {
			return t, true
		}
	}
	return sourceType{}, false
}

func sourceTypeNames() []string {
	names := make([]string, len(sourceTypes))
	for i, t := range sourceTypes {
		names[i] = t.name
	}
	return names
}

// field is a setting's key and value.
type field struct{ key, value string }

// fields are the [source] settings besides type and tables, in file order.
func (s *Source) fields() []field {
	var timeout string
	if s.StatementTimeout.Duration != 0 {
		timeout = s.StatementTimeout.String()
	}
	return []field{{"dir", s.Dir}, {"path", s.Path}, {"dsn_env", s.DSNEnv}, {"delimiter", s.Delimiter}, {"decimal", s.Decimal}, {"statement_timeout", timeout},
		{"encoding", s.Encoding}, {"date_format", s.DateFormat}}
}

func (t *TableSource) fields() []field {
	return []field{{"file", t.File}, {"table", t.Table}, {"query", t.Query}}
}

// checkSource checks [source] and, for a database server, reads its DSN
// from the environment.
func (c *Config) checkSource(ps *problems) (dsn Secret) {
	s := &c.Source
	st, ok := findSourceType(s.Type)
	switch {
	case s.Type == "":
		ps.add("source.type", "is required; one of %s", list(sourceTypeNames()))
	case !ok:
		ps.add("source.type", "%s is not a source type; one of %s", quote(s.Type), list(sourceTypeNames()))
	}
	if ok {
		for _, f := range s.fields() {
			key := "source." + f.key
			switch {
			case f.key == st.required && f.value == "":
				ps.add(key, "is required for source type %q", st.name)
			case f.value != "" && !slices.Contains(st.keys, f.key):
				ps.add(key, "does not apply to source type %q", st.name)
			}
		}
		if st.name == "csv" {
			checkCSV(ps, s)
		}
		if s.StatementTimeout.Duration < 0 && slices.Contains(st.keys, "statement_timeout") {
			ps.add("source.statement_timeout", "%s is not positive", s.StatementTimeout)
		}
		if s.Encoding != "" && slices.Contains(st.keys, "encoding") && !slices.Contains(sources.Encodings, s.Encoding) {
			ps.add("source.encoding", "%s is not supported (%s)", quote(s.Encoding), strings.Join(sources.Encodings, ", "))
		}
		if s.DateFormat != "" && slices.Contains(st.keys, "date_format") {
			checkDateFormat(ps, s.DateFormat)
		}
		if s.DSNEnv != "" && slices.Contains(st.keys, "dsn_env") {
			dsn = readEnv(ps, "source.dsn_env", s.DSNEnv, "DSN")
		}
	}
	switch s.OrphanOrders {
	case "", sources.OrphanWarn, sources.OrphanError:
	default:
		ps.add("source.orphan_orders", `%s is not one of "warn", "error"`, quote(s.OrphanOrders))
	}
	checkValues(ps, s.Values)
	c.checkTables(ps, st, ok)
	return dsn
}

// checkDateFormat checks that layout is a Go time layout with a year, a month and
// a day: a date formatted with it reads back as the same day.
func checkDateFormat(ps *problems, layout string) {
	ref := time.Date(2026, time.December, 31, 13, 45, 0, 0, time.UTC)
	back, err := time.Parse(layout, ref.Format(layout))
	if err != nil || back.Year() != ref.Year() || back.Month() != ref.Month() || back.Day() != ref.Day() {
		ps.add("source.date_format", `%s is not a Go date layout with day, month and year, such as "02-01-2006" or "2-1-2006 15:04" (written as 2 January 2006 15:04)`, quote(layout))
	}
}

// checkValues checks [source.values]: each key is an enum column and each value
// one of that column's values.
func checkValues(ps *problems, values map[string]map[string]string) {
	cols := make([]string, 0, len(values))
	for c := range values {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, col := range cols {
		def := sources.EnumColumn(col)
		if def == nil {
			var names []string
			for _, t := range sources.Schema {
				for _, c := range t.Columns {
					if c.Type == sources.Enum {
						names = append(names, c.Name)
					}
				}
			}
			ps.add("source.values."+col, "is not a column with a fixed set of values; one of %s", list(names))
			continue
		}
		from := make([]string, 0, len(values[col]))
		for f := range values[col] {
			from = append(from, f)
		}
		sort.Strings(from)
		for _, f := range from {
			to := values[col][f]
			if !slices.ContainsFunc(def.Values, func(v string) bool { return strings.EqualFold(v, to) }) {
				ps.add("source.values."+col+"."+f, "%s is not a value of %s; one of %s", quote(to), col, list(def.Values))
			}
		}
	}
}

// checkCSV checks the CSV dialect.
func checkCSV(ps *problems, s *Source) {
	d := s.Delimiter
	if len(d) != 1 || d[0] >= utf8.RuneSelf {
		ps.add("source.delimiter", `%s is not one ASCII character; for a tab write "\t"`, quote(d))
	} else if d == `"` || d == "\r" || d == "\n" {
		ps.add("source.delimiter", "%s cannot be a delimiter", quote(d))
	}
	switch {
	case s.Decimal != "." && s.Decimal != ",":
		ps.add("source.decimal", `%s is not a decimal separator; one of ".", ","`, quote(s.Decimal))
	case s.Decimal == d:
		ps.add("source.decimal", "%s is also the delimiter", quote(s.Decimal))
	}
}

// checkSQLite reports a problem unless path is an SQLite database. An empty
// file is one: SQLite treats it as a database without tables.
func checkSQLite(ps *problems, key, path string) {
	if !checkFile(ps, key, path) {
		return
	}
	const magic = "SQLite format 3\x00"
	head, err := readHead(path, len(magic))
	if err != nil {
		ps.add(key, "%q cannot be read: %v", path, unwrapPath(err))
		return
	}
	if len(head) > 0 && string(head) != magic {
		ps.add(key, "%q is not an SQLite database", path)
	}
}

// sqlIdentifier is a table name, optionally schema-qualified.
var sqlIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// checkTables checks [source.tables]; st and known say the source type, when
// it is one.
func (c *Config) checkTables(ps *problems, st sourceType, known bool) {
	names := make([]string, 0, len(c.Source.Tables))
	for name := range c.Source.Tables {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		oi, oj := tableOrder(names[i]), tableOrder(names[j])
		return oi < oj || oi == oj && names[i] < names[j]
	})
	for _, name := range names {
		key, t := "source.tables."+name, c.Source.Tables[name]
		if !slices.Contains(tables, name) {
			ps.add(key, "unknown table; one of %s", list(tables))
			continue
		}
		if t.Table != "" && t.Query != "" {
			ps.add(key, "sets both table and query; use one")
		}
		for _, f := range t.fields() {
			if f.value == "" {
				continue
			}
			fkey := key + "." + f.key
			if known && !slices.Contains(st.tableKeys, f.key) {
				ps.add(fkey, "does not apply to source type %q", st.name)
				continue
			}
			switch f.key {
			case "table":
				if !sqlIdentifier.MatchString(t.Table) {
					ps.add(fkey, "%s is not a table name (letters, digits and _, optionally schema.table)", quote(t.Table))
				}
			case "query":
				if !isSelect(t.Query) {
					ps.add(fkey, "is not a SELECT statement")
				}
			}
		}
	}
}

// tableOrder sorts canonical tables in contract order, unknown ones last.
func tableOrder(name string) int {
	if i := slices.Index(tables, name); i >= 0 {
		return i
	}
	return len(tables)
}

// tableFile resolves a table's file against the source folder.
func (c *Config) tableFile(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(c.abs(c.Source.Dir), file)
}

// isSelect reports whether the query starts with SELECT or WITH.
func isSelect(q string) bool {
	w := strings.Fields(strings.TrimLeft(q, "( \t\r\n"))
	if len(w) == 0 {
		return false
	}
	first := strings.ToUpper(w[0])
	return first == "SELECT" || first == "WITH"
}
