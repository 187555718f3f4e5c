// Package sources reads the canonical tables of the KPI data contract from a data
// source into the KPI engine. The root package holds the contract (Schema), the
// options, the errors and the Source interface; each kind of source is a package of
// its own that registers itself: sources/csv (a folder of CSV files) and
// sources/sqlite (an SQLite database). A program that calls Open imports the ones it
// supports for their side effect:
//
//	import (
//		_ "github.com/kpireport/kpireport/sources/csv"
//		_ "github.com/kpireport/kpireport/sources/sqlite"
//	)
package sources

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kpireport/kpireport/kpi"
)

// Source reads the canonical tables of one data source.
type Source interface {
	// Load reads every table, validating every row (also rows outside the plan's
	// windows), and returns the measures of plan.
	Load(ctx context.Context, plan *kpi.Plan) (*kpi.Data, error)
	// Close releases what the source holds open.
	Close() error
}

// Options say where the data is and how to read it. Options must not be printed:
// DSN may hold a password.
type Options struct {
	// Type is the kind of source: "csv", "sqlite", "postgres" or "mysql" (the
	// registered ones, see Register).
	Type string
	// Dir is the folder of the CSV files (csv).
	Dir string
	// Path is the database file (sqlite).
	Path string
	// Delimiter separates CSV fields (csv). Default: ','.
	Delimiter byte
	// Decimal is the decimal separator of amounts in CSV files, '.' or ','; with ','
	// a '.' groups thousands (1.234,56). SQL text amounts always use '.'. Default: '.'.
	Decimal byte
	// Tables overrides where a canonical table is read from, by table name.
	Tables map[string]Table
	// Location is the report's time zone: dates are local days of it.
	// Default: time.UTC.
	Location *time.Location
	// Workers is the number of goroutines that parse rows in parallel (csv).
	// Default: runtime.GOMAXPROCS(0).
	Workers int
	// DSN is the connection string of a database source (postgres, mysql), read
	// from the environment variable that source.dsn_env names. It may hold a
	// password: never log it or put it in an error.
	DSN string
	// StatementTimeout limits each statement of a database source (postgres, mysql).
	// Default: the source package's StatementTimeout.
	StatementTimeout time.Duration
	// AllTables makes Load go on to the next table after one fails to load, and
	// return the errors of each table, joined (csv, sqlite): `kpireport validate`
	// lists every broken table at once. A CSV file's bad rows are a *RowErrors with
	// the first MaxBadRows of them. Default: stop at the first error.
	AllTables bool
	// Encoding is the character encoding of the CSV files (csv): one of Encodings.
	// Text that is not valid UTF-8 in a UTF-8 file, or in a database, is a bad row
	// (ErrEncoding). Default: "utf-8".
	Encoding string
	// DateFormat is a Go time layout, such as "02-01-2006" or "2-1-2006 15:04", of
	// the dates and timestamps of a day-first export; values in the contract's ISO
	// form are read as well. A layout without an offset is a local time of Location.
	// Default: "" (ISO only).
	DateFormat string
	// Values map the values of enum columns in the data to the contract's values, by
	// canonical column name: {"kind": {"nieuw": "new"}}. They are matched as the
	// contract's values are, in any case. Default: none.
	Values map[string]map[string]string
	// OrphanOrders says what an order whose customer_id is not in the customers
	// table is: OrphanWarn (default) counts them into Data.Warnings, OrphanError
	// makes them an error wrapping ErrOrphanOrders.
	OrphanOrders string
}

// Encodings are the values of Options.Encoding.
var Encodings = []string{"utf-8", "windows-1252", "iso-8859-1"}

// The values of Options.OrphanOrders.
const (
	OrphanWarn  = "warn"
	OrphanError = "error"
)

// Table overrides where one canonical table is read from.
type Table struct {
	File  string // csv: file name instead of <table>.csv, relative to Dir unless absolute
	Name  string // sql: table name instead of the canonical one
	Query string // sql: a SELECT returning the canonical column names, instead of the table
}

// WithDefaults returns opt with the defaults applied, or an error naming the first
// option that cannot be used.
func (opt Options) WithDefaults() (Options, error) {
	if opt.Delimiter == 0 {
		opt.Delimiter = ','
	}
	if opt.Decimal == 0 {
		opt.Decimal = '.'
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Encoding == "" {
		opt.Encoding = "utf-8"
	}
	if opt.OrphanOrders == "" {
		opt.OrphanOrders = OrphanWarn
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	switch d := opt.Delimiter; {
	case d == '"' || d == '\r' || d == '\n':
		return opt, fmt.Errorf("%w: delimiter %q cannot separate fields", ErrOptions, d)
	case d == opt.Decimal:
		return opt, fmt.Errorf("%w: delimiter %q is also the decimal separator", ErrOptions, d)
	}
	if opt.Decimal != '.' && opt.Decimal != ',' {
		return opt, fmt.Errorf("%w: decimal separator %q (want '.' or ',')", ErrOptions, opt.Decimal)
	}
	if !slices.Contains(Encodings, opt.Encoding) {
		return opt, fmt.Errorf("%w: encoding %q is not supported (%s)", ErrOptions, opt.Encoding, strings.Join(Encodings, ", "))
	}
	if opt.OrphanOrders != OrphanWarn && opt.OrphanOrders != OrphanError {
		return opt, fmt.Errorf("%w: orphan_orders %q (want %q or %q)", ErrOptions, opt.OrphanOrders, OrphanWarn, OrphanError)
	}
	if err := checkValues(opt.Values); err != nil {
		return opt, err
	}
	names := make([]string, 0, len(opt.Tables))
	for name := range opt.Tables {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if SchemaOf(name) == nil {
			return opt, fmt.Errorf("%w: tables: %q is not a table of the data contract", ErrOptions, name)
		}
		if t := opt.Tables[name]; t.Name != "" && t.Query != "" {
			return opt, fmt.Errorf("%w: tables: %s sets both a table name and a query", ErrOptions, name)
		}
	}
	return opt, nil
}

// OpenFunc opens a source of one type.
type OpenFunc func(Options) (Source, error)

var (
	registryMu sync.Mutex
	registry   = map[string]OpenFunc{}
)

// Register makes a source type available to Open. Source packages call it from
// their init function; registering a type twice panics.
func Register(typ string, open OpenFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typ]; dup {
		panic("sources: Register called twice for type " + typ)
	}
	registry[typ] = open
}

// Open opens the source opt describes.
func Open(opt Options) (Source, error) {
	registryMu.Lock()
	open := registry[opt.Type]
	types := make([]string, 0, len(registry))
	for t := range registry {
		types = append(types, t)
	}
	registryMu.Unlock()
	if open == nil {
		slices.Sort(types)
		return nil, fmt.Errorf("%w %q (registered: %s; import github.com/kpireport/kpireport/sources/%s to add it)",
			ErrUnknownType, opt.Type, strings.Join(types, ", "), opt.Type)
	}
	return open(opt)
}

// checkValues checks that Options.Values maps values of enum columns to values of
// those columns.
func checkValues(values map[string]map[string]string) error {
	cols := make([]string, 0, len(values))
	for c := range values {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, name := range cols {
		c := EnumColumn(name)
		if c == nil {
			return fmt.Errorf("%w: values: %q is not an enum column", ErrOptions, name)
		}
		for from, to := range values[name] {
			if !slices.ContainsFunc(c.Values, func(v string) bool { return strings.EqualFold(v, to) }) {
				return fmt.Errorf("%w: values: %s: %q maps to %q, not one of %s", ErrOptions, name, from, to, strings.Join(c.Values, ", "))
			}
		}
	}
	return nil
}

// EnumColumn returns the enum column called name (enum column names are unique
// across the tables), or nil.
func EnumColumn(name string) *ColumnDef {
	for i := range Schema {
		if c := Schema[i].Column(name); c != nil && c.Type == Enum {
			return c
		}
	}
	return nil
}
