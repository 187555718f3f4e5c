package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// TestRenderTwiceSameBytes renders the same report twice in each format and
// language: the files must be byte for byte the same, so that a re-render of a
// period is detectable by its hash.
func TestRenderTwiceSameBytes(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		rep := fixtureReport(t, lang)
		for _, format := range []string{FormatXLSX, FormatPDF} {
			t.Run(lang+"/"+format, func(t *testing.T) {
				var sums []string
				var outs [][]byte
				for range 2 {
					var buf bytes.Buffer
					var err error
					if format == FormatXLSX {
						err = RenderXLSX(&buf, rep, nil)
					} else {
						err = RenderPDF(&buf, rep, nil, "")
					}
					if err != nil {
						t.Fatal(err)
					}
					sum := sha256.Sum256(buf.Bytes())
					sums = append(sums, hex.EncodeToString(sum[:]))
					outs = append(outs, buf.Bytes())
				}
				if sums[0] != sums[1] {
					t.Errorf("two renders differ: sha256 %s and %s", sums[0], sums[1])
					if format == FormatXLSX {
						for _, name := range zipNames(t, outs[0]) {
							if a, b := zipFile(t, outs[0], name), zipFile(t, outs[1], name); a != b {
								t.Logf("%s differs:\n%s\n%s", name, a, b)
							}
						}
					}
				}
			})
		}
	}
}

// TestRenderAtOtherTimesSameBytes renders the same data at two different times (a
// different GeneratedAt, as two runs a second or a day apart have): the files are the
// same bytes, in both languages and for a complete and a "to date" period (tryout F8).
func TestRenderAtOtherTimesSameBytes(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		for _, toDate := range []bool{false, true} {
			for _, format := range []string{FormatXLSX, FormatPDF} {
				t.Run(fmt.Sprintf("%s/%s/to-date=%t", lang, format, toDate), func(t *testing.T) {
					var sums []string
					for i, at := range []time.Time{
						time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
						time.Date(2026, 11, 1, 6, 0, 1, 0, time.UTC),
					} {
						rep := fixtureReport(t, lang)
						rep.GeneratedAt = at.Add(time.Duration(i) * 3 * time.Hour)
						if toDate {
							rep.AsOf = time.Date(2026, 10, 3, 9, 0, i, 0, time.UTC)
						}
						var buf bytes.Buffer
						var err error
						if format == FormatXLSX {
							err = RenderXLSX(&buf, rep, nil)
						} else {
							err = RenderPDF(&buf, rep, nil, "")
						}
						if err != nil {
							t.Fatal(err)
						}
						sum := sha256.Sum256(buf.Bytes())
						sums = append(sums, hex.EncodeToString(sum[:]))
					}
					if sums[0] != sums[1] {
						t.Errorf("renders at two times differ: sha256 %s and %s", sums[0], sums[1])
					}
				})
			}
		}
	}
}
