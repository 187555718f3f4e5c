package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
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
