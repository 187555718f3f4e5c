package sources

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/kpi"
)

// Sentinel errors of package sources. A bad row is a *RowError that wraps one of
// them, or the error of package money or period that says what is wrong with a value.
var (
	ErrUnknownType     = errors.New("sources: unknown source type")
	ErrOptions         = errors.New("sources: bad options")
	ErrMissingTable    = errors.New("sources: missing table")
	ErrMissingColumn   = errors.New("sources: missing column")
	ErrDuplicateColumn = errors.New("sources: duplicate column")
	ErrDuplicateID     = errors.New("sources: duplicate id")
	ErrBadEnum         = errors.New("sources: value not allowed")
	ErrEmptyRequired   = errors.New("sources: missing required value")
	ErrNegative        = errors.New("sources: negative value")
	ErrFieldCount      = errors.New("sources: wrong number of fields")
	ErrSyntax          = errors.New("sources: bad CSV syntax")
	ErrEncoding        = errors.New("sources: text is not valid UTF-8")
	ErrOrphanOrders    = errors.New("sources: orders of unknown customers")
)

// RowError is a bad row: it names the file or table, the line or row, the column and
// the value. Err says what is wrong and wraps a sentinel error.
type RowError struct {
	File   string // "orders.csv", or "table orders" for an SQL source
	Line   int64  // line of a CSV file where the row starts, or row number of an SQL result
	Column string // canonical column name; empty when the row as a whole is bad
	Value  string
	Err    error
}

// Error returns, for example,
//
//	orders.csv line 12 column amount: "12,3.4" is not a decimal
//	table orders row 12 column amount: "12,3.4" is not a decimal
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if strings.HasPrefix(e.File, "table ") {
		b.WriteString(" row ")
	} else {
		b.WriteString(" line ")
	}
	b.WriteString(strconv.FormatInt(e.Line, 10))
	if e.Column != "" {
		b.WriteString(" column ")
		b.WriteString(e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *RowError) Unwrap() error { return e.Err }

// OrphanOrdersError returns the error of orders whose customer is not a customer, when
// source.orphan_orders is "error": it wraps ErrOrphanOrders.
func OrphanOrdersError(w kpi.Warning) error {
	return fmt.Errorf(`%w: %s; add the customers, or set source.orphan_orders = "warn" to report on them anyway`, ErrOrphanOrders, w)
}

// MaxBadRows is the number of bad rows of one table that Load lists with
// Options.AllTables.
const MaxBadRows = 20

// RowErrors are the first bad rows of one table, in file (or table) order, and how
// many more there are: what Load returns with Options.AllTables.
type RowErrors struct {
	Where string // "orders.csv", "table orders"
	Rows  []error
	More  int64
}

// Error returns one line per bad row, and a last line with the number of the others.
func (e *RowErrors) Error() string {
	var b strings.Builder
	for i, r := range e.Rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(r.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n%s: and %d more bad rows", e.Where, e.More)
	}
	return b.String()
}

// Unwrap returns the errors of the rows.
func (e *RowErrors) Unwrap() []error { return e.Rows }
