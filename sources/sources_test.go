package sources_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/sources"
	_ "github.com/kpireport/kpireport/sources/csv"
)

func TestRowError(t *testing.T) {
	cause := fmt.Errorf("%q is not a decimal: %w", "12,3.4", money.ErrSyntax)
	tests := []struct {
		err  *sources.RowError
		want string
	}{
		{&sources.RowError{File: "orders.csv", Line: 12, Column: "amount", Value: "12,3.4", Err: cause},
			`orders.csv line 12 column amount: "12,3.4" is not a decimal: money: not a decimal`},
		{&sources.RowError{File: "table orders", Line: 12, Column: "amount", Err: cause},
			`table orders row 12 column amount: "12,3.4" is not a decimal: money: not a decimal`},
		{&sources.RowError{File: "orders.csv", Line: 3, Err: sources.ErrFieldCount},
			`orders.csv line 3: sources: wrong number of fields`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %s\nwant %s", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%v does not unwrap to its Err", tt.err)
		}
	}
}

func TestOpenUnknownType(t *testing.T) {
	_, err := sources.Open(sources.Options{Type: "parquet"})
	want := `sources: unknown source type "parquet" (registered: csv; import github.com/kpireport/kpireport/sources/parquet to add it)`
	if err == nil || err.Error() != want || !errors.Is(err, sources.ErrUnknownType) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestWithDefaults(t *testing.T) {
	opt, err := sources.Options{Type: "csv"}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if opt.Delimiter != ',' || opt.Decimal != '.' || opt.Location != time.UTC || opt.Workers < 1 {
		t.Errorf("defaults = %+v", opt)
	}
	for _, bad := range []sources.Options{
		{Delimiter: '\n'},
		{Decimal: ';'},
		{Delimiter: ';', Decimal: ';'},
		{Tables: map[string]sources.Table{"orders": {Name: "a", Query: "SELECT 1"}}},
		{Tables: map[string]sources.Table{"invoices": {}}},
	} {
		if _, err := bad.WithDefaults(); !errors.Is(err, sources.ErrOptions) {
			t.Errorf("WithDefaults(%+v) = %v, want ErrOptions", bad, err)
		}
	}
}

func TestSchema(t *testing.T) {
	for _, def := range sources.Schema {
		if sources.SchemaOf(def.Name) == nil {
			t.Errorf("SchemaOf(%s) = nil", def.Name)
		}
		for _, c := range def.Columns {
			if (c.Type == sources.Enum) != (len(c.Values) > 0) {
				t.Errorf("%s.%s: values only for enums", def.Name, c.Name)
			}
			if w := c.RequiredWhen; w != nil && def.Column(w.Column) == nil {
				t.Errorf("%s.%s: required when unknown column %s", def.Name, c.Name, w.Column)
			}
		}
	}
}
