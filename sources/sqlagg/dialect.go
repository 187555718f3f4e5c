// Package sqlagg computes the KPI measures of a plan inside an SQL database: it writes,
// for each canonical table, a GROUP BY statement over the plan's elementary intervals,
// runs it in one read-only transaction and assembles the small results into kpi.Data.
// No row of the data is pulled into Go, and money is summed by the database in exact
// NUMERIC/DECIMAL arithmetic.
//
// How it cuts time: the plan's windows are cut into elementary intervals at every window
// boundary, as kpi.Aggregator does. Each boundary is a local midnight of the report's
// zone; Go computes it for the type of each date column (a DATE, a local wall-clock
// timestamp, or a UTC instant, exact across DST changes) and passes it as a bind
// parameter. A binary search tree of CASE expressions puts each row in its interval.
// Distinct buyers per (overlapping) window come from one bitmask of intervals per
// customer (BIT_OR), tested against each window's mask.
//
// The statements use only SQL that PostgreSQL, MySQL/MariaDB and SQLite share; what
// differs between engines is a Dialect (see sources/postgres and sources/mysql).
package sqlagg

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpireport/kpireport/period"
)

// Dialect is what differs between SQL engines. Everything else in the generated
// statements is SQL the engines share: CASE, COALESCE, NULLIF, SUM, COUNT, BIT_OR, WITH,
// UNION ALL, LEFT JOIN, GROUP BY by position and LIMIT.
type Dialect interface {
	// Name is the source type, as errors say it: "postgres".
	Name() string
	// Quote quotes one identifier: a column name, or one part of schema.table.
	Quote(ident string) string
	// Placeholder returns bind parameter n (1-based) of a statement, whose value has the
	// SQL type typ (one of the Type constants).
	Placeholder(n int, typ string) string
	// Numbered reports whether a placeholder can be used more than once ($1 in
	// PostgreSQL). When false every use is a parameter of its own (? in MySQL).
	Numbered() bool
	// Class returns how a column is read whose database type is typ, as
	// sql.ColumnType.DatabaseTypeName reports it.
	Class(typ string) Class
	// Cast converts expr to text (CastText), to text that compares byte by byte
	// (CastKey: ids and names) or to a 64-bit integer (CastInt).
	Cast(expr string, to CastType) string
	// Before returns the condition "expr < the local midnight that starts day", for a
	// date column of class c, binding the midnight as a parameter of p.
	Before(expr string, c Class, day period.Date, p *Params) string
	// DayNumber returns the local day of a date column of class c as an integer,
	// days since 1970-01-01, binding what it needs (the zone) as parameters of p.
	DayNumber(expr string, c Class, p *Params) string
	// Begin starts a read-only transaction on conn in which every statement may run
	// for at most timeout (0: no limit). It returns the SQL it ran, for Explain.
	Begin(ctx context.Context, conn *sql.Conn, timeout time.Duration) (*sql.Tx, []string, error)
	// Catalog reports whether the table name (one part, or schema and table) exists,
	// and the columns that alone make up a unique index or primary key of it.
	Catalog(ctx context.Context, tx *sql.Tx, name []string) (exists bool, unique []string, err error)
	// Script returns a statement with its arguments as SQL that the engine's shell
	// (psql, mysql) runs as it is: a PREPARE, an EXECUTE with the values, a DEALLOCATE.
	Script(name, query string, args []Arg) string
}

// Class is how the values of a column are read, by its database type.
type Class uint8

// The column classes.
const (
	ClassOther   Class = iota // any other type (uuid, an enum type, …): usable as text
	ClassText                 // character data
	ClassDate                 // a calendar date: the local day itself
	ClassNaive                // a timestamp without time zone: local wall-clock time
	ClassInstant              // a point in time (timestamptz, MySQL TIMESTAMP)
	ClassDecimal              // an exact decimal (NUMERIC, DECIMAL)
	ClassInteger              // an integer
	ClassFloat                // a binary floating-point number: not exact, not money
	ClassBool                 // a boolean
)

// IsDate reports whether c is one of the date and timestamp classes.
func (c Class) IsDate() bool { return c == ClassDate || c == ClassNaive || c == ClassInstant }

func (c Class) textLike() bool { return c == ClassText || c == ClassOther }

// CastType is the target of Dialect.Cast.
type CastType uint8

// The cast targets.
const (
	CastText CastType = iota + 1 // text, for reading a value
	CastKey                      // text compared byte by byte, for ids and names
	CastInt                      // a 64-bit integer
)

// The SQL types of bind parameters (PostgreSQL's names; other engines may ignore them).
const (
	TypeDate        = "date"
	TypeTimestamp   = "timestamp"
	TypeTimestampTZ = "timestamptz"
	TypeText        = "text"
	TypeBigint      = "bigint"
)

// Arg is one argument of a statement.
type Arg struct {
	Value any    // string or int64
	Type  string // one of the Type constants
}
