// Package csv reads the canonical tables from a folder of CSV files: <table>.csv
// (or the file configured for the table), UTF-8 with an optional byte order mark,
// a header line with the column names, LF or CRLF line ends, and fields that may be
// quoted as RFC 4180 says.
//
// It is built for files of many millions of rows. One goroutine reads large blocks and
// cuts them at record boundaries; Options.Workers goroutines split and decode the
// chunks without allocating per row or field. The orders go on, in batches, to one
// aggregator per partition of the customers (see router); the other tables go straight
// into one aggregator per worker; all are merged at the end. Memory does not grow with
// the file, except for 8 bytes of hash per id: uniqueness is checked on the hashes, and
// only when two are equal is the file read again to compare the ids themselves.
package csv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/internal/decode"
	"github.com/kpireport/kpireport/sources/internal/dedup"
)

func init() {
	sources.Register("csv", func(opt sources.Options) (sources.Source, error) { return Open(opt) })
}

// Block sizes: files are read DefaultBlockSize bytes at a time; a block grows up to
// MaxRecordSize to hold one long record (a quoted field with many lines).
const (
	DefaultBlockSize = 4 << 20
	MaxRecordSize    = 64 << 20
)

// Source reads a folder of CSV files.
type Source struct {
	opt       sources.Options
	format    decode.Format
	blockSize int
	maxBlock  int
	idBudget  int // memory for the hashes of ids (dedup.WithBudget); 0 for the default
}

var _ sources.Source = (*Source)(nil)

// Open returns the source of the CSV files in opt.Dir. It does not read them yet.
func Open(opt sources.Options) (*Source, error) {
	opt, err := opt.WithDefaults()
	if err != nil {
		return nil, err
	}
	if opt.Dir == "" {
		return nil, fmt.Errorf("%w: csv: dir is empty", sources.ErrOptions)
	}
	cs, err := decode.CharsetOf(opt.Encoding)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", sources.ErrOptions, err)
	}
	format := decode.Format{Decimal: opt.Decimal, Charset: cs, Values: opt.Values}
	return &Source{opt: opt, format: format, blockSize: DefaultBlockSize, maxBlock: MaxRecordSize}, nil
}

// Close does nothing: Load closes the files it opens.
func (s *Source) Close() error { return nil }

// file is one table's CSV file.
type file struct {
	def  *sources.TableDef
	name string // as errors name it: "orders.csv"
	f    *os.File
}

// Load reads every table and returns the measures of plan. A missing orders or
// customers file is an error wrapping sources.ErrMissingTable; without the file of an
// optional table its data is reported as not available. A bad row is a
// *sources.RowError, the first one in the file.
func (s *Source) Load(ctx context.Context, plan *kpi.Plan) (_ *kpi.Data, err error) {
	var files []file
	defer func() {
		for _, f := range files {
			if cerr := f.f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("close %s: %w", f.name, cerr)
			}
		}
	}()
	for i := range sources.Schema {
		def := &sources.Schema[i]
		name := def.Name + ".csv"
		if f := s.opt.Tables[def.Name].File; f != "" {
			name = f
		}
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(s.opt.Dir, name)
		}
		f, err := os.Open(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !def.Required && s.opt.Tables[def.Name].File == "":
			continue
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w %s: %s does not exist", sources.ErrMissingTable, def.Name, path)
		case err != nil:
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		if filepath.IsAbs(name) {
			name = filepath.Base(name)
		}
		files = append(files, file{def: def, name: name, f: f})
	}

	workers := s.opt.Workers
	aggs := make([]*kpi.Aggregator, workers)
	days := make([]*period.DayParser, workers)
	for w := range aggs {
		aggs[w] = kpi.NewAggregator(plan)
		days[w] = period.NewDayParser(s.opt.Location)
		days[w].SetLayout(s.opt.DateFormat)
	}
	// The customers are read first, so that the orders can be checked against them.
	first := func(f file) int {
		if f.def.Name == "customers" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(files, func(a, b file) int { return cmp.Compare(first(a), first(b)) })
	var tables []*decode.Table
	var errs []error
	var st loadState
	for _, f := range files {
		t, err := s.readTable(ctx, f, aggs, days, &st)
		if err != nil {
			if !s.opt.AllTables || ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		tables = append(tables, t)
	}
	var warnings []kpi.Warning
	if o := st.orphans; o.Count > 0 {
		w := kpi.Warning{Code: kpi.WarnOrphanOrders, Count: o.Count, Example: o.ID, Where: fmt.Sprintf("%s line %d", st.ordersFile, o.Line)}
		if s.opt.OrphanOrders == sources.OrphanError {
			errs = append(errs, sources.OrphanOrdersError(w))
		} else {
			warnings = append(warnings, w)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, a := range aggs[1:] {
		aggs[0].Merge(a)
	}
	aggs[0].SetAvailable(decode.Availability(tables))
	data := aggs[0].Data()
	data.Warnings = append(data.Warnings, warnings...)
	return data, nil
}

// loadState is what reading one table leaves for the next: the customers' ids, and
// the orders of other customers.
type loadState struct {
	customers  *decode.CustomerIDs // collected while the customers are read
	known      *decode.IDSet       // the customers, once read
	orphans    decode.Orphans
	ordersFile string
}

// readTable reads one table into the aggregators, one per worker, and checks that its
// ids are unique.
func (s *Source) readTable(ctx context.Context, f file, aggs []*kpi.Aggregator, days []*period.DayParser, st *loadState) (_ *decode.Table, err error) {
	t, r, err := s.open(f)
	if err != nil {
		return nil, err
	}
	var ids *dedup.Set
	var seed maphash.Seed
	if t.IDField() >= 0 {
		var opts []dedup.Option
		if s.idBudget > 0 {
			opts = append(opts, dedup.WithBudget(s.idBudget))
		}
		ids = dedup.New(opts...)
		seed = ids.Seed()
		defer func() {
			if cerr := ids.Close(); cerr != nil {
				err = errors.Join(err, s.wrap(f, cerr))
			}
		}()
	}
	var rt *router
	if f.def.Name == "orders" && len(aggs) > 1 {
		rt = newRouter(aggs, aggs[0].Plan().Span(), len(aggs))
	}
	var collect *decode.CustomerIDs
	if f.def.Name == "customers" {
		collect = decode.NewCustomerIDs(seed)
	}
	sinks := make([]sink, len(aggs))
	decs := make([]*decode.Decoder, len(aggs))
	for w := range sinks {
		ds := &decodeSink{ids: ids, customers: collect}
		var to decode.Adder = aggs[w]
		if rt != nil {
			ds.out = rt.outbox(aggs[w])
			ds.out.seen = kpi.NewAggregator(aggs[w].Plan())
			to = ds.out
		}
		ds.dec = decode.New(t, to, days[w], s.format, seed)
		if f.def.Name == "orders" {
			ds.dec.Customers = st.known
		}
		sinks[w], decs[w] = ds, ds.dec
	}
	var bad *decode.BadRows
	if s.opt.AllTables {
		bad = &decode.BadRows{}
	}
	err = parallel(ctx, r, t, s.opt.Delimiter, sinks, bad)
	if rt != nil {
		err = errors.Join(err, rt.close())
		// The orders the outboxes skipped still count for the watermark.
		for w, sk := range sinks {
			aggs[w].Merge(sk.(*decodeSink).out.seen)
		}
	}
	if err != nil {
		return nil, s.wrap(f, err)
	}
	switch f.def.Name {
	case "customers":
		st.known = collect.Set()
	case "orders":
		st.ordersFile = f.name
		for _, d := range decs {
			st.orphans.Merge(d.Orphans)
		}
	}
	if ids == nil {
		return t, nil
	}
	repeated, err := ids.Repeated(ctx, len(aggs))
	if err != nil {
		return nil, s.wrap(f, err)
	}
	if len(repeated) == 0 {
		return t, nil
	}
	// Two ids share a hash: find the rows in a second pass, in file order.
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, s.wrap(f, err)
	}
	if _, r, err = s.open(f); err != nil {
		return nil, err
	}
	dup := &dupSink{t: t, res: dedup.NewResolver(seed, repeated), field: t.IDField(), cs: s.format.Charset}
	bad = nil
	if s.opt.AllTables {
		bad = &decode.BadRows{}
	}
	if err := parallel(ctx, r, t, s.opt.Delimiter, []sink{dup}, bad); err != nil {
		return nil, s.wrap(f, err)
	}
	return t, nil
}

// open reads the header of f and binds its columns.
func (s *Source) open(f file) (*decode.Table, *reader, error) {
	r := newReader(f.f, s.blockSize, s.maxBlock, 2*s.opt.Workers+1)
	names, err := r.header(newSplitter(s.opt.Delimiter))
	var se *syntaxError
	if errors.As(err, &se) {
		return nil, nil, &sources.RowError{File: f.name, Line: 1, Err: err}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", f.name, err)
	}
	if cs := s.format.Charset; cs != nil && r.bom {
		return nil, nil, &sources.RowError{File: f.name, Line: 1, Err: bomError(cs.Name())}
	}
	for i, n := range names {
		switch {
		case s.format.Charset != nil:
			names[i] = string(s.format.Charset.Append(nil, []byte(n)))
		case !utf8.ValidString(n):
			return nil, nil, &sources.RowError{File: f.name, Line: 1, Value: n, Err: fmt.Errorf(
				`%w: column name %q: save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`, sources.ErrEncoding, n)}
		}
	}
	t, err := decode.Bind(f.def, f.name, names)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.name, err)
	}
	return t, r, nil
}

// wrap adds the file to errors that are not about a row.
func (s *Source) wrap(f file, err error) error {
	var re *sources.RowError
	if errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("read %s: %w", f.name, err)
}

// decodeSink decodes records into a worker's aggregator (or, for orders, its outbox)
// and keeps the hashes of their ids, one run per chunk.
type decodeSink struct {
	dec       *decode.Decoder
	ids       *dedup.Set
	customers *decode.CustomerIDs // collects the ids, when the table is the customers
	out       *outbox
	scratch   []uint64
}

func (s *decodeSink) finish() {
	if s.out != nil {
		s.out.flush()
	}
}

func (s *decodeSink) begin(rows int) {
	if s.ids != nil {
		s.dec.Hashes = make([]uint64, 0, rows)
	}
}

func (s *decodeSink) record(line int64, fields [][]byte) error { return s.dec.Decode(line, fields) }

func (s *decodeSink) end() {
	if s.customers != nil {
		s.customers.Add(s.dec.Hashes)
	}
	if s.ids != nil {
		s.scratch = s.ids.Add(s.dec.Hashes, s.scratch)
		s.dec.Hashes = nil
	}
}

// dupSink finds the first id that repeats one of the candidate hashes.
type dupSink struct {
	t     *decode.Table
	res   *dedup.Resolver
	field int
	cs    *decode.Charset // the ids are hashed as UTF-8, when the file is not
	buf   []byte
}

func (s *dupSink) begin(int) {}
func (s *dupSink) end()      {}
func (s *dupSink) finish()   {}

func (s *dupSink) record(line int64, fields [][]byte) error {
	id := fields[s.field]
	if s.cs != nil {
		s.buf = s.cs.Append(s.buf[:0], id)
		id = s.buf
	}
	if first, dup := s.res.Check(id, line); dup {
		return s.t.Duplicate(line, first, id)
	}
	return nil
}

// bomError is the error of a file with the UTF-8 byte order mark that source.encoding
// says is in the single-byte encoding enc.
type bomError string

func (e bomError) Error() string {
	return fmt.Sprintf("the file starts with the UTF-8 byte order mark, so it is UTF-8 (Excel's \"CSV UTF-8\"), not %s: remove source.encoding = %q", string(e), string(e))
}

func (bomError) Unwrap() error { return sources.ErrEncoding }
