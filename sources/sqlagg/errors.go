package sqlagg

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors of package sqlagg. Missing tables and columns, duplicate ids and bad
// values wrap the sentinel errors of package sources instead.
var (
	ErrColumnType = errors.New("sqlagg: column has the wrong type")
	ErrResult     = errors.New("sqlagg: unexpected result")
)

// ColumnError is a canonical column that a table or query lacks or returns with a type
// that cannot hold its values. It names the table, the column and the query.
type ColumnError struct {
	Table  string // canonical table
	Column string // canonical column
	Query  string // the query whose result lacks it: the override, or SELECT * FROM the table
	Err    error  // what is wrong; wraps sources.ErrMissingColumn or ErrColumnType
}

// Error returns, for example,
//
//	table orders column amount: type TEXT is not a decimal (want NUMERIC/DECIMAL or an integer type); query: SELECT * FROM "orders"
func (e *ColumnError) Error() string {
	return "table " + e.Table + " column " + e.Column + ": " + e.Err.Error() + "; query: " + e.Query
}

// Unwrap returns Err.
func (e *ColumnError) Unwrap() error { return e.Err }

// ValueError is a bad value in a table, found by a checking query. SQL rows have no
// line numbers, so it names the row by its id when the table has one.
type ValueError struct {
	Table  string // canonical table
	Column string // canonical column
	Value  string // the bad value as text; empty for a missing value
	ID     string // "order_id \"O17\"", or empty
	Err    error  // what is wrong; wraps a sentinel error of package sources or money
}

// Error returns, for example,
//
//	table orders column kind: "gift" is not one of new, repeat, upsell, cross_sell (order_id "O17")
func (e *ValueError) Error() string {
	var b strings.Builder
	b.WriteString("table " + e.Table + " column " + e.Column + ": " + e.Err.Error())
	if e.ID != "" {
		b.WriteString(" (" + e.ID + ")")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ValueError) Unwrap() error { return e.Err }

// problem says what is wrong with a value in words and wraps the sentinel error that
// classifies it.
type problem struct {
	msg string
	err error
}

func (e *problem) Error() string { return e.msg }
func (e *problem) Unwrap() error { return e.err }

// redacted is an error whose text has secrets taken out. It does not unwrap to the
// original (whose text still holds them), but errors.Is sees through it.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string        { return e.msg }
func (e *redacted) Is(target error) bool { return errors.Is(e.err, target) }

// Redact returns err with every secret replaced by "<redacted>", or err itself when
// its text holds none. Empty secrets are ignored.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "<redacted>")
		}
	}
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}
