package postgres

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

// Dialect is PostgreSQL's SQL for package sqlagg.
type Dialect struct{}

var _ sqlagg.Dialect = Dialect{}

// Name returns "postgres".
func (Dialect) Name() string { return "postgres" }

// Quote quotes an identifier: "name", with " doubled.
func (Dialect) Quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

// Placeholder returns $n with a cast to typ, so that PostgreSQL knows the type of every
// parameter.
func (Dialect) Placeholder(n int, typ string) string { return "$" + strconv.Itoa(n) + "::" + typ }

// Numbered returns true: $n can be used many times.
func (Dialect) Numbered() bool { return true }

// Class maps pgx's type names (upper case) to classes.
func (Dialect) Class(typ string) sqlagg.Class {
	switch typ {
	case "TEXT", "VARCHAR", "BPCHAR", "CHAR", "NAME":
		return sqlagg.ClassText
	case "DATE":
		return sqlagg.ClassDate
	case "TIMESTAMP":
		return sqlagg.ClassNaive
	case "TIMESTAMPTZ":
		return sqlagg.ClassInstant
	case "NUMERIC":
		return sqlagg.ClassDecimal
	case "INT2", "INT4", "INT8":
		return sqlagg.ClassInteger
	case "FLOAT4", "FLOAT8":
		return sqlagg.ClassFloat
	case "BOOL":
		return sqlagg.ClassBool
	}
	return sqlagg.ClassOther
}

// Cast converts to TEXT (text compares byte by byte with the default deterministic
// collations) or BIGINT.
func (Dialect) Cast(expr string, to sqlagg.CastType) string {
	if to == sqlagg.CastInt {
		return "CAST(" + expr + " AS BIGINT)"
	}
	return "CAST(" + expr + " AS TEXT)"
}

// Before compares a DATE with the day, a TIMESTAMP with the day's midnight as local
// wall-clock time, and a TIMESTAMPTZ with the instant of the local midnight.
func (Dialect) Before(expr string, c sqlagg.Class, day period.Date, p *sqlagg.Params) string {
	key := strconv.Itoa(int(c)) + "/" + strconv.Itoa(int(day))
	switch c {
	case sqlagg.ClassDate:
		return expr + " < " + p.Bind(key, day.String(), sqlagg.TypeDate)
	case sqlagg.ClassNaive:
		return expr + " < " + p.Bind(key, day.String()+" 00:00:00", sqlagg.TypeTimestamp)
	}
	at := day.In(p.Location()).UTC().Format("2006-01-02 15:04:05") + "+00"
	return expr + " < " + p.Bind(key, at, sqlagg.TypeTimestampTZ)
}

// DayNumber takes the local date of a TIMESTAMPTZ with AT TIME ZONE and the report's
// zone name as a parameter.
func (Dialect) DayNumber(expr string, c sqlagg.Class, p *sqlagg.Params) string {
	switch c {
	case sqlagg.ClassDate:
		return "(" + expr + " - DATE '1970-01-01')"
	case sqlagg.ClassNaive:
		return "(CAST(" + expr + " AS DATE) - DATE '1970-01-01')"
	}
	zone := p.Bind("zone", p.Location().String(), sqlagg.TypeText)
	return "(CAST(" + expr + " AT TIME ZONE " + zone + " AS DATE) - DATE '1970-01-01')"
}

// WorkMem is the work_mem the transaction raises the server's to when that is lower:
// the hash table of the per-customer masks then stays in memory instead of spilling to
// disk (it takes about 130 bytes per customer and worker).
const WorkMem = "64MB"

// Begin starts a READ ONLY, REPEATABLE READ transaction (one snapshot for every
// statement) and sets statement_timeout, and work_mem when lower than WorkMem, for it
// alone.
func (Dialect) Begin(ctx context.Context, conn *sql.Conn, timeout time.Duration) (*sql.Tx, []string, error) {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	ms := strconv.FormatInt(max(timeout.Milliseconds(), 1), 10)
	if timeout <= 0 {
		ms = "0"
	}
	const set = `SELECT set_config('statement_timeout', $1, true),
  set_config('work_mem', GREATEST(pg_size_bytes(current_setting('work_mem')), pg_size_bytes($2)) / 1024 || 'kB', true)`
	if _, err := tx.ExecContext(ctx, set, ms, WorkMem); err != nil {
		_ = tx.Rollback()
		return nil, nil, fmt.Errorf("set statement_timeout and work_mem: %w", err)
	}
	return tx, []string{
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
		strings.NewReplacer("$1", "'"+ms+"'", "$2", "'"+WorkMem+"'").Replace(set) + ";",
	}, nil
}

// Catalog looks the table up with to_regclass (so the search_path applies) and lists
// the columns of its single-column unique indexes without predicate.
func (d Dialect) Catalog(ctx context.Context, tx *sql.Tx, name []string) (bool, []string, error) {
	quoted := make([]string, len(name))
	for i, n := range name {
		quoted[i] = d.Quote(n)
	}
	rel := strings.Join(quoted, ".")
	var exists bool
	if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&exists); err != nil || !exists {
		return false, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.attname
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1
  AND i.indpred IS NULL AND i.indexprs IS NULL`, rel)
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

// Script returns PREPARE, EXECUTE and DEALLOCATE of the statement.
func (Dialect) Script(name, query string, args []sqlagg.Arg) string {
	var b strings.Builder
	b.WriteString("PREPARE " + name)
	if len(args) > 0 {
		types := make([]string, len(args))
		for i, a := range args {
			types[i] = a.Type
		}
		b.WriteString(" (" + strings.Join(types, ", ") + ")")
	}
	b.WriteString(" AS\n" + query + ";\nEXECUTE " + name)
	if len(args) > 0 {
		vals := make([]string, len(args))
		for i, a := range args {
			vals[i] = literal(a.Value)
		}
		b.WriteString(" (" + strings.Join(vals, ", ") + ")")
	}
	b.WriteString(";\nDEALLOCATE " + name + ";")
	return b.String()
}
