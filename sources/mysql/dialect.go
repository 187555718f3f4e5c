package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources/sqlagg"
)

// Dialect is the SQL of MySQL 8 and MariaDB 10.5 and later for package sqlagg.
type Dialect struct{}

var _ sqlagg.Dialect = Dialect{}

// Name returns "mysql".
func (Dialect) Name() string { return "mysql" }

// Quote quotes an identifier: `name`, with ` doubled.
func (Dialect) Quote(ident string) string { return "`" + strings.ReplaceAll(ident, "`", "``") + "`" }

// Placeholder returns ?.
func (Dialect) Placeholder(int, string) string { return "?" }

// Numbered returns false: every ? is a parameter of its own.
func (Dialect) Numbered() bool { return false }

// Class maps the driver's type names to classes.
func (Dialect) Class(typ string) sqlagg.Class {
	switch strings.TrimPrefix(typ, "UNSIGNED ") {
	case "CHAR", "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET":
		return sqlagg.ClassText
	case "DATE":
		return sqlagg.ClassDate
	case "DATETIME":
		return sqlagg.ClassNaive
	case "TIMESTAMP":
		return sqlagg.ClassInstant
	case "DECIMAL":
		return sqlagg.ClassDecimal
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
		return sqlagg.ClassInteger
	case "FLOAT", "DOUBLE":
		return sqlagg.ClassFloat
	}
	return sqlagg.ClassOther
}

// Cast converts to CHAR, to BINARY (ids and names compare byte by byte, not by a
// case-insensitive collation that pads with spaces) or to SIGNED.
func (Dialect) Cast(expr string, to sqlagg.CastType) string {
	switch to {
	case sqlagg.CastKey:
		return "CAST(" + expr + " AS BINARY)"
	case sqlagg.CastInt:
		return "CAST(" + expr + " AS SIGNED)"
	}
	return "CAST(" + expr + " AS CHAR)"
}

// Before compares a DATE with the day, a DATETIME with the day's midnight as local
// wall-clock time, and a TIMESTAMP by its Unix time (independent of the session's
// time_zone) with the instant of the local midnight.
func (Dialect) Before(expr string, c sqlagg.Class, day period.Date, p *sqlagg.Params) string {
	switch c {
	case sqlagg.ClassDate:
		return expr + " < " + p.Bind("", day.String(), sqlagg.TypeDate)
	case sqlagg.ClassNaive:
		return expr + " < " + p.Bind("", day.String()+" 00:00:00", sqlagg.TypeTimestamp)
	}
	return "UNIX_TIMESTAMP(" + expr + ") < " + p.Bind("", day.In(p.Location()).Unix(), sqlagg.TypeBigint)
}

// toDays1970 is TO_DAYS('1970-01-01').
const toDays1970 = "719528"

// DayNumber uses TO_DAYS for DATE and DATETIME. For a TIMESTAMP it adds the zone's
// offset at that instant, found by binary search in the zone's transitions from 1970
// to 2038 (the range of TIMESTAMP), computed in Go: MySQL's own zone tables are often
// not loaded.
func (Dialect) DayNumber(expr string, c sqlagg.Class, p *sqlagg.Params) string {
	if c != sqlagg.ClassInstant {
		return "(TO_DAYS(" + expr + ") - " + toDays1970 + ")"
	}
	unix := "UNIX_TIMESTAMP(" + expr + ")"
	bounds, offsets := transitions(p.Location())
	offset := sqlagg.SearchTree(len(bounds),
		func(i int) string { return unix + " < " + p.Bind("", bounds[i], sqlagg.TypeBigint) },
		func(k int) string { return strconv.Itoa(offsets[k]) })
	return "FLOOR((" + unix + " + " + offset + ") / 86400)"
}

// transitions returns the instants (Unix seconds) at which loc's UTC offset changes
// between 1970 and 2038, and the offset before the first and after each of them.
func transitions(loc *time.Location) (bounds []int64, offsets []int) {
	t := time.Unix(0, 0).In(loc)
	_, off := t.Zone()
	offsets = append(offsets, off)
	limit := time.Date(2038, time.January, 20, 0, 0, 0, 0, time.UTC)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(limit) {
			return bounds, offsets
		}
		t = end
		if _, off := t.Zone(); off != offsets[len(offsets)-1] {
			bounds = append(bounds, t.Unix())
			offsets = append(offsets, off)
		}
	}
}

// Begin limits statements for the session (MariaDB: max_statement_time in seconds;
// MySQL: max_execution_time in milliseconds, for SELECTs) and starts a READ ONLY,
// REPEATABLE READ transaction.
func (Dialect) Begin(ctx context.Context, conn *sql.Conn, timeout time.Duration) (*sql.Tx, []string, error) {
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return nil, nil, err
	}
	set, value := "SET SESSION max_execution_time = ?", any(timeout.Milliseconds())
	if strings.Contains(strings.ToLower(version), "mariadb") {
		set, value = "SET SESSION max_statement_time = ?", timeout.Seconds()
	}
	if _, err := conn.ExecContext(ctx, set, value); err != nil {
		return nil, nil, fmt.Errorf("limit statement time: %w", err)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return tx, []string{
		strings.Replace(set, "?", fmt.Sprint(value), 1) + ";",
		"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;",
		"START TRANSACTION READ ONLY;",
	}, nil
}

// Catalog looks the table up in information_schema (in the connection's database unless
// name has a schema) and lists the columns of its single-column unique indexes.
func (Dialect) Catalog(ctx context.Context, tx *sql.Tx, name []string) (bool, []string, error) {
	var schema any
	table := name[len(name)-1]
	if len(name) == 2 {
		schema = name[0]
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`, schema, table).Scan(&n); err != nil || n == 0 {
		return false, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT MAX(column_name) FROM information_schema.statistics
WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0
GROUP BY index_name HAVING COUNT(*) = 1`, schema, table)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	var unique []string
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			return false, nil, err
		}
		unique = append(unique, col)
	}
	return true, unique, rows.Err()
}

// Script returns user variables with the values, PREPARE, EXECUTE and DEALLOCATE of the
// statement.
func (Dialect) Script(name, query string, args []sqlagg.Arg) string {
	var b strings.Builder
	vars := make([]string, len(args))
	for i, a := range args {
		vars[i] = "@p" + strconv.Itoa(i+1)
		if i%8 == 0 {
			if i == 0 {
				b.WriteString("SET ")
			} else {
				b.WriteString(",\n  ")
			}
		} else {
			b.WriteString(", ")
		}
		b.WriteString(vars[i] + " = " + literal(a.Value))
	}
	if len(args) > 0 {
		b.WriteString(";\n")
	}
	b.WriteString("PREPARE " + name + " FROM " + literal(query) + ";\nEXECUTE " + name)
	if len(args) > 0 {
		b.WriteString(" USING " + strings.Join(vars, ", "))
	}
	b.WriteString(";\nDEALLOCATE PREPARE " + name + ";")
	return b.String()
}

// literal returns v as a MySQL literal: strings quoted, with quotes and backslashes
// escaped.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(v) + "'"
	}
	return fmt.Sprint(v)
}
