package csv

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/sources"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		fields  []string
		n       int
		lines   int
		wantErr string
	}{
		{in: "a,b,c\nrest", fields: []string{"a", "b", "c"}, n: 6, lines: 1},
		{in: "a,b,c", fields: []string{"a", "b", "c"}, n: 5},
		{in: "a,,\r\n", fields: []string{"a", "", ""}, n: 5, lines: 1},
		{in: "\n", fields: []string{""}, n: 1, lines: 1},
		{in: `"a,b","say ""hi""",c` + "\n", fields: []string{"a,b", `say "hi"`, "c"}, n: 21, lines: 1},
		{in: "\"two\nlines\",x\r\ny", fields: []string{"two\nlines", "x"}, n: 15, lines: 2},
		{in: `"",""`, fields: []string{"", ""}, n: 5},
		{in: "a,\"b\"\r\n", fields: []string{"a", "b"}, n: 7, lines: 1},
		{in: "a,\"b\"\r", fields: []string{"a", "b"}, n: 6},
		{in: "\"a\r\nb\",\"\"\"\"\n", fields: []string{"a\nb", `"`}, n: 12, lines: 2},
		{in: `a,"b`, wantErr: "quoted field is not closed"},
		{in: `a,"b"c`, wantErr: "unexpected text after the closing quote of a quoted field"},
		{in: "\"a\",b\"c\n", wantErr: `a quote in an unquoted field (quote the field and write "" for the quote)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sp := newSplitter(',')
			n, lines, err := sp.split([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, sources.ErrSyntax) {
					t.Errorf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.fields, strs(sp.fields)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if n != tt.n || lines != tt.lines {
				t.Errorf("n, lines = %d, %d, want %d, %d", n, lines, tt.n, tt.lines)
			}
		})
	}
}

func TestRecordEnds(t *testing.T) {
	tests := []struct {
		in          string
		first, last int
	}{
		{"a,b\nc,d\ne", 4, 8},
		{"a,b", -1, -1},
		{"\"x\ny\",b\nc\n\"d\ne", 8, 10},
		{"\"x\ny\nz\"", -1, -1},
		{"\"\"\"\n\"\n", 6, 6},
	}
	for _, tt := range tests {
		if got := firstRecordEnd([]byte(tt.in)); got != tt.first {
			t.Errorf("firstRecordEnd(%q) = %d, want %d", tt.in, got, tt.first)
		}
		if got := lastRecordEnd([]byte(tt.in)); got != tt.last {
			t.Errorf("lastRecordEnd(%q) = %d, want %d", tt.in, got, tt.last)
		}
	}
}

func strs(fields [][]byte) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f)
	}
	return out
}

// FuzzSplitRow checks that the splitter never panics, consumes what it says, agrees
// with strings.Split on records without quotes and line ends, and with encoding/csv on
// the records that package accepts.
func FuzzSplitRow(f *testing.F) {
	for _, s := range []string{
		"a,b,c", "a,b,c\n", "a,,\r\n", "", ",", "\n", `"a,b","say ""hi""",c`, "\"two\nlines\",x\r\ny",
		`a,"b`, `a,"b"c`, `a,b"c`, `"""`, "\"\r", "x\r", "\xEF\xBB\xBFa,b", "O-1,C-1,2026-10-31 14:23:05,12.50,7.25,true,new,rep-01,north\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp := newSplitter(',')
		n, lines, err := sp.split([]byte(s))
		if err != nil {
			return
		}
		if n < 0 || n > len(s) || (len(s) > 0 && n == 0) {
			t.Fatalf("split(%q) consumed %d bytes", s, n)
		}
		if want := strings.Count(s[:n], "\n"); lines != want {
			t.Fatalf("split(%q) = %d lines, want %d", s, lines, want)
		}
		if !strings.ContainsAny(s, "\"\r\n") {
			if diff := cmp.Diff(strings.Split(s, ","), strs(sp.fields)); diff != "" {
				t.Fatalf("split(%q) differs from strings.Split (-want +got):\n%s", s, diff)
			}
		}
		// encoding/csv reads the same record, where it accepts one and the record is
		// not blank (it skips blank lines) and has no bare CR (it keeps those).
		rec := s[:n]
		if strings.TrimRight(rec, "\r\n") == "" || strings.Contains(strings.ReplaceAll(rec, "\r\n", ""), "\r") {
			return
		}
		r := stdcsv.NewReader(strings.NewReader(rec))
		r.FieldsPerRecord = -1
		want, err := r.Read()
		if err != nil {
			return
		}
		if diff := cmp.Diff(want, strs(sp.fields)); diff != "" {
			t.Fatalf("split(%q) differs from encoding/csv (-want +got):\n%s", s, diff)
		}
	})
}

// TestSplitLine compares the word-at-a-time splitter with bytes.Split on random lines
// full of bytes next to the delimiter, where a carry between bytes would show.
func TestSplitLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, delim := range []byte{',', ';', '\t', '|', 0x00, 0x01, 0x7F, 0x80, 0xFF} {
		alphabet := []byte{delim, delim - 1, delim + 1, delim ^ 0x80, 0x00, 0x80, 0xFF, 'a'}
		for range 2000 {
			line := make([]byte, rng.IntN(40))
			for i := range line {
				line[i] = alphabet[rng.IntN(len(alphabet))]
			}
			got := splitLine(nil, line, delim)
			want := bytes.Split(line, []byte{delim})
			if diff := cmp.Diff(strs(want), strs(got)); diff != "" {
				t.Fatalf("splitLine(%q, %q) (-want +got):\n%s", line, delim, diff)
			}
		}
	}
}
