package decode

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

// Decoder converts the rows of one bound table and adds them to an aggregator. It is
// not safe for concurrent use: parallel readers give each goroutine its own.
type Decoder struct {
	t       *Table
	days    *period.DayParser
	decimal byte
	cs      *Charset  // nil: the text is UTF-8
	conv    [][]byte  // the converted text of each canonical column, when cs is set
	alias   [][]alias // extra values of each Enum column (Format.Values)
	agg     Adder
	seed    maphash.Seed
	add     func(*Decoder)
	vals    []value

	// Customers, when set on a decoder of the orders, are the customers' ids:
	// orders of other customers are counted in Orphans.
	Customers *IDSet
	Orphans   Orphans

	// Hashes receives the hash (maphash with the seed given to New) of the unique id
	// of every row decoded, when the table has a unique column. The caller owns it
	// and may replace it between rows.
	Hashes []uint64

	order    kpi.Order
	customer kpi.Customer
	lead     kpi.Lead
	deal     kpi.Deal
	spend    kpi.Spend
	call     kpi.Call
}

// Format says how a source writes values.
type Format struct {
	// Decimal is the decimal separator of text amounts, '.' or ','.
	Decimal byte
	// Charset converts the text of a single-byte encoding to UTF-8; nil when the
	// text is UTF-8, which is then checked.
	Charset *Charset
	// Values are extra values of Enum columns: canonical column → value in the data
	// → the contract's value (sources.Options.Values).
	Values map[string]map[string]string
}

// alias is a value of an Enum column that stands for the value of index enum.
type alias struct {
	from []byte
	enum uint8
}

// value is one converted cell.
type value struct {
	text   []byte
	day    period.Date
	amount money.Amount
	enum   uint8 // index in ColumnDef.Values + 1; 0 when empty
	flag   bool
	set    bool // false for an empty cell without a default
}

// Adder takes the rows a decoder decodes; a *kpi.Aggregator is one. The rows' byte
// slices are only valid during the call.
type Adder interface {
	AddOrder(*kpi.Order)
	AddCustomer(*kpi.Customer)
	AddLead(*kpi.Lead)
	AddDeal(*kpi.Deal)
	AddSpend(*kpi.Spend)
	AddCall(*kpi.Call)
}

var _ Adder = (*kpi.Aggregator)(nil)

// New returns a decoder of t's rows into agg. days converts dates (one DayParser per
// goroutine); f says how values are written.
func New(t *Table, agg Adder, days *period.DayParser, f Format, seed maphash.Seed) *Decoder {
	d := &Decoder{
		t: t, days: days, decimal: f.Decimal, cs: f.Charset, agg: agg, seed: seed,
		add:   adders[t.Def.Name],
		vals:  make([]value, len(t.Def.Columns)),
		conv:  make([][]byte, len(t.Def.Columns)),
		alias: make([][]alias, len(t.Def.Columns)),
	}
	for i := range t.Def.Columns {
		c := &t.Def.Columns[i]
		if c.Type != sources.Enum {
			continue
		}
		for from, to := range f.Values[c.Name] {
			for k, v := range c.Values {
				if strings.EqualFold(v, to) {
					d.alias[i] = append(d.alias[i], alias{from: []byte(strings.TrimSpace(from)), enum: uint8(k + 1)})
				}
			}
		}
	}
	return d
}

// Decode converts one row and adds it to the aggregator. fields are the row's fields
// by the source's field index, an empty one meaning "not set"; they are only read
// during the call. line is the row's line (CSV) or row number (SQL), for errors. A bad
// value is a *sources.RowError.
func (d *Decoder) Decode(line int64, fields [][]byte) error {
	t := d.t
	cols := t.Def.Columns
	for i := range cols {
		c := &cols[i]
		v := &d.vals[i]
		var b []byte
		if p := t.pos[i]; p >= 0 {
			b = fields[p]
		}
		if d.cs != nil && !ascii(b) {
			if off, _ := d.cs.invalid(b); off >= 0 {
				return &sources.RowError{File: t.Where, Line: line, Column: c.Name, Value: string(d.cs.Append(nil, b)), Err: d.cs.error(b, off)}
			}
			d.conv[i] = d.cs.Append(d.conv[i][:0], b)
			b = d.conv[i]
		}
		if len(b) == 0 {
			switch {
			case c.Need == sources.Required:
				return d.rowError(line, c, b, &valueError{"missing value", sources.ErrEmptyRequired})
			case c.Need == sources.NotEmpty && t.pos[i] >= 0:
				return d.rowError(line, c, b, &valueError{fmt.Sprintf("missing value (the %s column is there, so every row needs one)", c.Name), sources.ErrEmptyRequired})
			}
			if b = t.deflt[i]; b == nil {
				*v = value{day: period.NoDate}
				continue
			}
		}
		v.set = true
		switch c.Type {
		case sources.Text:
			if d.cs == nil && !utf8.Valid(b) {
				return d.rowError(line, c, b, nil)
			}
			v.text = b
		case sources.Date:
			day, err := d.days.Parse(b)
			if err != nil {
				want := "YYYY-MM-DD, optionally with a time and offset"
				if l := d.days.Layout(); l != "" {
					want = strconv.Quote(l) + " (source.date_format) or " + want
				} else if hint := dateFormatHint(b); hint != "" {
					want += "; " + hint
				}
				return d.rowError(line, c, b, &valueError{quote(b) + " is not a date or timestamp (want " + want + ")", err})
			}
			v.day = day
		case sources.Decimal:
			a, err := money.Parse(b, d.decimal)
			if err != nil {
				return d.rowError(line, c, b, decimalError(b, err))
			}
			if c.NonNegative && a < 0 {
				return d.rowError(line, c, b, &valueError{quote(b) + " is negative", sources.ErrNegative})
			}
			v.amount = a
		case sources.Bool:
			f, ok := parseBool(b)
			if !ok {
				return d.rowError(line, c, b, &valueError{quote(b) + " is not a bool (true/false, 1/0, yes/no, ja/nee, waar/onwaar)", sources.ErrBadEnum})
			}
			v.flag = f
		case sources.Enum:
			v.enum = 0
			for k, want := range t.values[i] {
				if string(b) == string(want) {
					v.enum = uint8(k + 1)
					break
				}
			}
			for k, want := range t.values[i] {
				if v.enum == 0 && asciiEqualFold(b, want) {
					v.enum = uint8(k + 1)
				}
			}
			for _, a := range d.alias[i] {
				if v.enum == 0 && bytes.EqualFold(b, a.from) {
					v.enum = a.enum
				}
			}
			if v.enum == 0 {
				return d.rowError(line, c, b, &valueError{quote(b) + " is not one of " + d.enumValues(i), sources.ErrBadEnum})
			}
		}
	}
	for _, k := range t.conds {
		if d.vals[k.col].set {
			continue
		}
		for _, e := range k.values {
			if d.vals[k.on].enum == e {
				c := &cols[k.col]
				return d.rowError(line, c, nil, &valueError{"missing value (required when " + k.text + ")", sources.ErrEmptyRequired})
			}
		}
	}
	if t.idCol >= 0 {
		d.Hashes = append(d.Hashes, maphash.Bytes(d.seed, d.vals[t.idCol].text))
	}
	if d.Customers != nil && !d.Customers.Has(d.vals[oCustomer].text) {
		d.orphan(line)
	}
	d.add(d)
	return nil
}

// orphan counts the order on line as one of an unknown customer.
func (d *Decoder) orphan(line int64) {
	o := &d.Orphans
	if o.Count == 0 || line < o.Line {
		o.Line, o.ID = line, string(d.vals[d.t.idCol].text)
	}
	o.Count++
}

// rowError returns the error of value b of column c on line. A value that is not
// valid UTF-8 is an encoding error, whatever err says (nil: only that).
func (d *Decoder) rowError(line int64, c *sources.ColumnDef, b []byte, err error) error {
	if d.cs == nil && !utf8.Valid(b) {
		err = d.t.encodingError(b)
	}
	return &sources.RowError{File: d.t.Where, Line: line, Column: c.Name, Value: string(b), Err: err}
}

// enumValues lists the accepted values of Enum column i, with the configured ones.
func (d *Decoder) enumValues(i int) string {
	s := strings.Join(d.t.Def.Columns[i].Values, ", ")
	if len(d.alias[i]) == 0 {
		return s
	}
	var extra []string
	for _, a := range d.alias[i] {
		extra = append(extra, string(a.from))
	}
	slices.Sort(extra)
	return s + " (or, as source.values maps them, " + strings.Join(extra, ", ") + ")"
}

// valueError says what is wrong with a value in words and wraps the sentinel error
// that classifies it.
type valueError struct {
	msg string
	err error
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.err }

func decimalError(b []byte, err error) error {
	switch {
	case errors.Is(err, money.ErrPrecision):
		return &valueError{fmt.Sprintf("%s has more than %d fraction digits", quote(b), money.Digits), err}
	case errors.Is(err, money.ErrRange):
		return &valueError{quote(b) + " is out of range", err}
	}
	return &valueError{quote(b) + " is not a decimal", err}
}

// parseBool reads true/false, 1/0, yes/no and the Dutch ja/nee and waar/onwaar
// (Dutch Excel's TRUE/FALSE), in any case.
func parseBool(b []byte) (value, ok bool) {
	switch {
	case len(b) == 1 && b[0] == '1', asciiEqualFold(b, []byte("true")), asciiEqualFold(b, []byte("yes")),
		asciiEqualFold(b, []byte("ja")), asciiEqualFold(b, []byte("waar")):
		return true, true
	case len(b) == 1 && b[0] == '0', asciiEqualFold(b, []byte("false")), asciiEqualFold(b, []byte("no")),
		asciiEqualFold(b, []byte("nee")), asciiEqualFold(b, []byte("onwaar")):
		return false, true
	}
	return false, false
}

// asciiEqualFold reports whether b equals the lower-case ASCII word want, ignoring
// the case of ASCII letters.
func asciiEqualFold(b, want []byte) bool {
	if len(b) != len(want) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// quote quotes b for an error message, shortened when long.
func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:37]) + "...")
	}
	return strconv.Quote(string(b))
}

// dateFormatHint returns the source.date_format to set for a date written as
// D-M-YYYY or M-D-YYYY (with "-", "/" or "."), such as "2-6-2025": day-first
// unless the second number cannot be a month. It returns "" for anything else.
func dateFormatHint(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) < 8 {
		return ""
	}
	sep := s[len(s)-5]
	if sep != '-' && sep != '/' && sep != '.' {
		return ""
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return ""
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return ""
		}
		n[i] = v
	}
	day, month := "2", "1"
	if n[1] > 12 && n[0] <= 12 {
		return fmt.Sprintf("for a month-first date set source.date_format = %q", month+string(sep)+day+string(sep)+"2006")
	}
	return fmt.Sprintf("for a day-first date set source.date_format = %q", day+string(sep)+month+string(sep)+"2006")
}
