package csv

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/sources"
)

// win1252 encodes s, which must only have characters of Windows-1252, as Excel's
// "CSV (gescheiden door lijstscheidingsteken)" saves it.
func win1252(t testing.TB, s string) string {
	t.Helper()
	special := map[rune]byte{'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97}
	var b []byte
	for _, r := range s {
		switch {
		case r < 0x80 || r >= 0xA0 && r <= 0xFF:
			b = append(b, byte(r))
		case special[r] != 0:
			b = append(b, special[r])
		default:
			t.Fatalf("%q is not in Windows-1252", r)
		}
	}
	return string(b)
}

// A CSV saved as Windows-1252 is an error naming the file, line and column and how to
// fix it, not text that reaches the renderers (where fpdf panicked on it).
func TestEncodingNotUTF8(t *testing.T) {
	for _, tt := range []struct {
		name, file, content, want string
	}{
		{"text column", "orders.csv", ordersHeader + "O1,C1,2026-10-01,100,1,,,Jones,North\nO2,C1,2026-10-01,100,1,,,Jones,Fryslân\n",
			`orders.csv line 3 column region: "Frysl\xe2n" is not valid UTF-8 (byte 0xE2 at character 6): save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`},
		{"amount with a euro sign", "orders.csv", ordersHeader + "O1,C1,2026-10-01,€ 100,1,,,Jones,North\n",
			`orders.csv line 2 column amount: "\x80 100" is not valid UTF-8 (byte 0x80 at character 1): save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`},
		{"customer id", "customers.csv", "customer_id,acquired_date\nC1,2025-01-01\nCö,2025-01-01\n",
			`customers.csv line 3 column customer_id: "C\xf6" is not valid UTF-8 (byte 0xF6 at character 2)`},
		{"header", "orders.csv", "order_id,customer_id,order_date,amount,bedrag_€\nO1,C1,2026-10-01,1,2\n",
			`orders.csv line 1: sources: text is not valid UTF-8: column name "bedrag_\x80": save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "../testdata/valid")
			writeFile(t, filepath.Join(dir, tt.file), win1252(t, tt.content))
			for _, all := range []bool{false, true} {
				_, err := load(t, dir, func(o *sources.Options) { o.AllTables = all }, nil)
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, sources.ErrEncoding) {
					t.Errorf("all tables %v: err = %v\nwant %s", all, err, tt.want)
				}
			}
		})
	}
}

// With source.encoding = "windows-1252" (or iso-8859-1) the same files load, their
// text as UTF-8; ids are compared as UTF-8 too.
func TestEncodingWindows1252(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	writeFile(t, filepath.Join(dir, "orders.csv"), win1252(t, ordersHeader+
		"O1,C1,2026-10-01,100,1,,,Zoë,Fryslân\nO2,C1,2026-10-02,50,1,,,Zoë,Fryslân\n"))
	writeFile(t, filepath.Join(dir, "customers.csv"), win1252(t, "customer_id,acquired_date,naam_€\nC1,2025-01-01,Café ‘t Hoekje\n"))
	for _, enc := range []string{"windows-1252", "iso-8859-1"} {
		data := mustLoad(t, dir, func(o *sources.Options) { o.Encoding = enc }, nil)
		if d := dimNamed(data.ByRep, "Zoë"); d == nil || d.Revenue.String() != "150" {
			t.Errorf("%s: by rep = %+v, want Zoë with 150", enc, data.ByRep)
		}
		if d := dimNamed(data.ByRegion, "Fryslân"); d == nil || d.Revenue.String() != "150" {
			t.Errorf("%s: by region = %+v, want Fryslân with 150", enc, data.ByRegion)
		}
	}

	// A duplicate id with a non-ASCII character is found in the second pass, which
	// compares the ids as the first pass hashed them.
	writeFile(t, filepath.Join(dir, "orders.csv"), win1252(t, ordersHeader+
		"Ö1,C1,2026-10-01,100,1,,,,\nO2,C1,2026-10-01,100,1,,,,\nÖ1,C1,2026-10-02,50,1,,,,\n"))
	_, err := load(t, dir, func(o *sources.Options) { o.Encoding = "windows-1252" }, nil)
	if want := `orders.csv line 4 column order_id: duplicate "Ö1" (first on line 2)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// Unknown encodings are refused when the source is opened.
func TestEncodingUnknown(t *testing.T) {
	_, err := Open(sources.Options{Type: "csv", Dir: t.TempDir(), Encoding: "latin9"})
	if want := `sources: bad options: encoding "latin9" is not supported (utf-8, windows-1252, iso-8859-1)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// A UTF-8 export (Excel's "CSV UTF-8", with a byte order mark) keeps every script.
func TestEncodingUTF8(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	writeFile(t, filepath.Join(dir, "orders.csv"), "\uFEFF"+ordersHeader+"O1,C1,2026-10-01,100,1,,,Nguyễn Văn An,Fryslân\n")
	data := mustLoad(t, dir, nil, nil)
	if d := dimNamed(data.ByRep, "Nguyễn Văn An"); d == nil || d.Revenue.String() != "100" {
		t.Errorf("by rep = %+v", data.ByRep)
	}
}

func dimNamed(ds []kpi.DimMeasures, name string) *kpi.DimMeasures {
	for i := range ds {
		if ds[i].Name == name {
			return &ds[i]
		}
	}
	return nil
}

// dutchExport is how a Dutch Excel export is configured.
func dutchExport(encoding string) func(*sources.Options) {
	return func(o *sources.Options) {
		o.Delimiter, o.Decimal = ';', ','
		o.Encoding = encoding
		o.DateFormat = "2-1-2006 15:04"
		o.Values = map[string]map[string]string{
			"kind":   {"nieuw": "new", "herhaling": "repeat", "kruisverkoop": "cross_sell"},
			"status": {"gewonnen": "won", "verloren": "lost"},
		}
	}
}

// Real Dutch Excel exports (testdata/excel-nl in Windows-1252, excel-nl-utf8 as
// "CSV UTF-8") load, with the right config, to exactly the data of the same rows
// as a clean CSV (testdata/excel-clean): ';' and decimal ',', € and spaces in
// amounts, day-first dates with and without a time, ja/nee/onwaar, Dutch enum
// values, column names in other case and with spaces, CRLF, and Excel's trailing
// rows of empty fields.
func TestDutchExcelExport(t *testing.T) {
	want := mustLoad(t, "../testdata/excel-clean", nil, nil)
	if m := want.Windows[october.Range()]; m.SalesCount != 3 || m.WonDeals != 1 {
		t.Fatalf("clean October = %+v", m) // the fixture is what the test thinks it is
	}
	for _, tt := range []struct{ dir, encoding string }{
		{"../testdata/excel-nl", "windows-1252"},
		{"../testdata/excel-nl-utf8", "utf-8"},
	} {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			got := mustLoad(t, tt.dir, dutchExport(tt.encoding), nil)
			if tt.encoding == "windows-1252" {
				// Excel wrote "?" for the letters Windows-1252 lacks.
				for i := range got.ByRep {
					if got.ByRep[i].Name == "Nguy?n V?n An" {
						got.ByRep[i].Name = "Nguyễn Văn An"
					}
				}
				slices.SortFunc(got.ByRep, func(a, b kpi.DimMeasures) int { return strings.Compare(a.Name, b.Name) })
			}
			if diff := cmp.Diff(want, got, sumComparer); diff != "" {
				t.Errorf("data (-clean +export):\n%s", diff)
			}
		})
	}

	// Without the Dutch settings the first problem is named.
	_, err := load(t, "../testdata/excel-nl", func(o *sources.Options) {
		dutchExport("windows-1252")(o)
		o.DateFormat = ""
	}, nil)
	if want := `customers.csv line 2 column acquired_date: "15-1-2025" is not a date or timestamp`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("without date_format: err = %v, want %s", err, want)
	}
	_, err = load(t, "../testdata/excel-nl", func(o *sources.Options) {
		dutchExport("windows-1252")(o)
		o.Values = nil
	}, nil)
	if want := `orders.csv line 2 column kind: "nieuw" is not one of new, repeat, upsell, cross_sell`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("without values: err = %v, want %s", err, want)
	}
	_, err = load(t, "../testdata/excel-nl", dutchExport("utf-8"), nil)
	if want := `customers.csv line 2 column name: "Bakkerij Frysl\xe2n" is not valid UTF-8`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("as UTF-8: err = %v, want %s", err, want)
	}
}

// An order whose customer_id is not in customers is counted: a warning by default,
// an error with source.orphan_orders = "error"; both name the first such order, also
// when the file is read in many chunks by several workers.
func TestOrphanOrders(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	var b strings.Builder
	b.WriteString(ordersHeader)
	for i := range 400 {
		customer := "C1"
		if i == 123 || i >= 300 && i%2 == 0 {
			customer = "C9" // 51 orders of a customer that is not there
		}
		fmt.Fprintf(&b, "O%d,%s,2026-10-01,10,1,,,,\n", i, customer)
	}
	writeFile(t, filepath.Join(dir, "orders.csv"), b.String())
	want := kpi.Warning{Code: kpi.WarnOrphanOrders, Count: 51, Example: "O123", Where: "orders.csv line 125"}
	for _, block := range []int{DefaultBlockSize, 64} {
		tweak := func(s *Source) { s.blockSize = block; s.opt.Workers = 3 }
		data := mustLoad(t, dir, nil, tweak)
		if diff := cmp.Diff([]kpi.Warning{want}, data.Warnings); diff != "" {
			t.Errorf("block %d: warnings (-want +got):\n%s", block, diff)
		}
		if got := data.Windows[october.Range()].Revenue.String(); got != "4000" {
			t.Errorf("block %d: revenue %s, want 4000: the orders still count", block, got)
		}
		_, err := load(t, dir, func(o *sources.Options) { o.OrphanOrders = sources.OrphanError }, tweak)
		wantErr := `sources: orders of unknown customers: 51 orders have a customer_id that is not in customers, such as order "O123" (orders.csv line 125); add the customers, or set source.orphan_orders = "warn" to report on them anyway`
		if err == nil || err.Error() != wantErr || !errors.Is(err, sources.ErrOrphanOrders) {
			t.Errorf("block %d: err = %v\nwant %s", block, err, wantErr)
		}
	}
	if data := mustLoad(t, "../testdata/valid", nil, nil); data.Warnings != nil {
		t.Errorf("valid data: warnings %v", data.Warnings)
	}
}

// With AllTables (validate) the first 20 bad rows of a table are listed in file
// order, with the number of the others, however the file is split among workers.
func TestManyBadRows(t *testing.T) {
	for _, tt := range []struct {
		name      string
		bad       int
		wantLines int
		more      string
	}{
		{"five", 5, 5, ""},
		{"fifty", 50, 20, "orders.csv: and 30 more bad rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "../testdata/valid")
			var b strings.Builder
			b.WriteString(ordersHeader)
			var want []string
			bad := 0
			for i := range 300 {
				amount := "10"
				if i%5 == 2 && bad < tt.bad {
					bad++
					amount = "12.3.4"
					if len(want) < tt.wantLines {
						want = append(want, fmt.Sprintf(`orders.csv line %d column amount: "12.3.4" is not a decimal`, i+2))
					}
				}
				fmt.Fprintf(&b, "O%d,C1,2026-10-01,%s,1,,,,\n", i, amount)
			}
			writeFile(t, filepath.Join(dir, "orders.csv"), b.String())
			if tt.more != "" {
				want = append(want, tt.more)
			}
			for _, block := range []int{DefaultBlockSize, 64} {
				tweak := func(s *Source) { s.blockSize = block; s.opt.Workers = 3 }
				_, err := load(t, dir, func(o *sources.Options) { o.AllTables = true }, tweak)
				var re *sources.RowErrors
				if !errors.As(err, &re) || !errors.Is(err, money.ErrSyntax) {
					t.Fatalf("block %d: err = %v, want *sources.RowErrors wrapping money.ErrSyntax", block, err)
				}
				if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
					t.Errorf("block %d: lines (-want +got):\n%s", block, diff)
				}
				_, err = load(t, dir, nil, tweak)
				if err == nil || err.Error() != want[0] {
					t.Errorf("block %d, default: err = %v, want only %s", block, err, want[0])
				}
			}
		})
	}

	// Duplicate ids, and bad rows in two tables.
	dir := copyDir(t, "../testdata/valid")
	writeFile(t, filepath.Join(dir, "orders.csv"), ordersHeader+"O1,C1,2026-10-01,1,1,,,,\nO1,C1,2026-10-01,1,1,,,,\nO2,C1,2026-10-01,1,1,,,,\nO2,C1,2026-10-01,1,1,,,,\n")
	writeFile(t, filepath.Join(dir, "customers.csv"), "customer_id,acquired_date\nC1,2025-01-01\nC2,x\nC3,y\n")
	_, err := load(t, dir, func(o *sources.Options) { o.AllTables = true }, nil)
	want := []string{
		`customers.csv line 3 column acquired_date: "x" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset)`,
		`customers.csv line 4 column acquired_date: "y" is not a date or timestamp (want YYYY-MM-DD, optionally with a time and offset)`,
		`orders.csv line 3 column order_id: duplicate "O1" (first on line 2)`,
		`orders.csv line 5 column order_id: duplicate "O2" (first on line 4)`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// A byte that is no character of the configured encoding is an error naming the
// file, line and column, never text silently replaced by U+FFFD: the five bytes
// Windows-1252 leaves undefined, and the C1 controls of ISO-8859-1, which mean the
// file is Windows-1252 (what Excel writes).
func TestEncodingUndefinedBytes(t *testing.T) {
	for _, tt := range []struct {
		name, enc, region, want string
	}{
		{"undefined in windows-1252", "windows-1252", "Oo\x81st",
			"orders.csv line 2 column region: \"Oo\ufffdst\" has byte 0x81 at character 3, which is no character of windows-1252: the file is in another encoding: check source.encoding"},
		{"C1 control in iso-8859-1", "iso-8859-1", "Zuid \x96 Oost",
			`orders.csv line 2 column region: "Zuid \u0096 Oost" has byte 0x96 at character 6, which is no character of iso-8859-1: it is a control character in ISO-8859-1; files from Excel are Windows-1252: set source.encoding = "windows-1252"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "../testdata/valid")
			writeFile(t, filepath.Join(dir, "orders.csv"), ordersHeader+"O1,C1,2026-10-01,100,1,,,Jones,"+tt.region+"\n")
			_, err := load(t, dir, func(o *sources.Options) { o.Encoding = tt.enc }, nil)
			if err == nil || err.Error() != tt.want || !errors.Is(err, sources.ErrEncoding) {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// A file with the UTF-8 byte order mark read as a single-byte encoding (a "CSV UTF-8"
// export while source.encoding still says windows-1252) is one clear error, not a
// page of mojibake.
func TestEncodingBOMNotSingleByte(t *testing.T) {
	dir := copyDir(t, "../testdata/valid")
	writeFile(t, filepath.Join(dir, "orders.csv"), "\xEF\xBB\xBF"+ordersHeader+"O1,C1,2026-10-01,€ 100,1,,,Jones,Fryslân\n")
	_, err := load(t, dir, func(o *sources.Options) { o.Encoding = "windows-1252" }, nil)
	want := `orders.csv line 1: the file starts with the UTF-8 byte order mark, so it is UTF-8 (Excel's "CSV UTF-8"), not windows-1252: remove source.encoding = "windows-1252"`
	if err == nil || err.Error() != want || !errors.Is(err, sources.ErrEncoding) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
