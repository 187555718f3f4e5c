package reports

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/kpi"
)

// A small reader of the drawing in an uncompressed PDF's page contents, so that tests
// can check the vector graphics: which paths are painted, in which colour.

// pdfShape is one path that a page's content paints.
type pdfShape struct {
	path   string     // its construction operators: "m l", "re", "m l l l", "m c c c c c c"
	paint  string     // how it is painted: "S" (stroke), "f" (fill), "B" (both)
	pts    []float64  // the operands of path, in PDF points (y up)
	stroke [3]float64 // the colours in effect, 0 to 1
	fill   [3]float64
	width  float64 // the line width in points
}

// is reports whether colour x is c.
func is(x [3]float64, c rgb) bool {
	return math.Abs(x[0]-float64(c.r)/255) < 0.002 && math.Abs(x[1]-float64(c.g)/255) < 0.002 && math.Abs(x[2]-float64(c.b)/255) < 0.002
}

// lineWidthPt returns a line width set in mm as the PDF writes it, in points.
func lineWidthPt(mm float64) float64 { return math.Round(mm*72/25.4*100) / 100 }

// renderPDFShapes renders rep with tm without compressing the page contents and
// returns the shapes painted on each page.
func renderPDFShapes(t *testing.T, rep *kpi.Report, tm *Template) [][]pdfShape {
	t.Helper()
	pdfCompress = false
	defer func() { pdfCompress = true }()
	b := renderPDF(t, rep, tm, "")
	var pages [][]pdfShape
	for _, content := range pageContents(t, b) {
		pages = append(pages, contentShapes(content))
	}
	if len(pages) == 0 {
		t.Fatal("the PDF has no page contents")
	}
	return pages
}

var (
	pageContentsRe = regexp.MustCompile(`/Type /Page\n(?:[^>]*\n)*?/Contents (\d+) 0 R`)
	streamRe       = regexp.MustCompile(`(?m)^(\d+) 0 obj\n<</Length (\d+)>>\nstream\n`)
)

// pageContents returns the content stream of every page of the uncompressed PDF b.
func pageContents(t *testing.T, b []byte) [][]byte {
	t.Helper()
	streams := map[string][]byte{}
	for _, m := range streamRe.FindAllSubmatchIndex(b, -1) {
		n, _ := strconv.Atoi(string(b[m[4]:m[5]]))
		if m[1]+n > len(b) {
			t.Fatalf("object %s: stream longer than the file", b[m[2]:m[3]])
		}
		streams[string(b[m[2]:m[3]])] = b[m[1] : m[1]+n]
	}
	var out [][]byte
	for _, m := range pageContentsRe.FindAllSubmatch(b, -1) {
		s, ok := streams[string(m[1])]
		if !ok {
			t.Fatalf("page contents %s 0 R: no uncompressed stream", m[1])
		}
		out = append(out, s)
	}
	return out
}

// contentShapes returns the shapes that content paints, outside text objects.
func contentShapes(content []byte) []pdfShape {
	type state struct {
		stroke, fill [3]float64
		width        float64
	}
	var (
		st       state
		stack    []state
		operands []float64
		path     []string
		pts      []float64
		shapes   []pdfShape
		inText   bool
	)
	colour := func(n int) [3]float64 {
		if len(operands) < n {
			return [3]float64{}
		}
		v := operands[len(operands)-n:]
		if n == 1 {
			return [3]float64{v[0], v[0], v[0]}
		}
		return [3]float64{v[0], v[1], v[2]}
	}
	for _, tok := range contentTokens(content) {
		if v, err := strconv.ParseFloat(tok, 64); err == nil {
			operands = append(operands, v)
			continue
		}
		switch tok {
		case "BT":
			inText = true
		case "ET":
			inText = false
		case "q":
			stack = append(stack, st)
		case "Q":
			if len(stack) > 0 {
				st, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "RG":
			st.stroke = colour(3)
		case "G":
			st.stroke = colour(1)
		case "rg":
			st.fill = colour(3)
		case "g":
			st.fill = colour(1)
		case "w":
			if len(operands) > 0 {
				st.width = operands[len(operands)-1]
			}
		case "m", "l", "c", "v", "y", "re", "h":
			if !inText {
				path = append(path, tok)
				pts = append(pts, operands...)
			}
		case "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n":
			if len(path) > 0 {
				shapes = append(shapes, pdfShape{path: strings.Join(path, " "), paint: tok, pts: pts,
					stroke: st.stroke, fill: st.fill, width: st.width})
			}
			path, pts = nil, nil
		}
		operands = operands[:0]
	}
	return shapes
}

// contentTokens splits a content stream into numbers, operators and names; strings
// and arrays are one token each.
func contentTokens(b []byte) []string {
	var toks []string
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			i++
		case c == '(': // a string: to its closing parenthesis, with escapes and nesting
			depth, j := 0, i
			for ; j < len(b); j++ {
				if b[j] == '\\' {
					j++
					continue
				}
				if b[j] == '(' {
					depth++
				} else if b[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			toks = append(toks, "(string)")
			i = j + 1
		case c == '[' || c == '<':
			end := map[byte]byte{'[': ']', '<': '>'}[c]
			j := bytes.IndexByte(b[i:], end)
			if j < 0 {
				return toks
			}
			toks = append(toks, string(b[i:i+j+1]))
			i += j + 1
		default:
			j := i + 1
			for j < len(b) && !bytes.ContainsRune([]byte(" \n\r\t()[]<>/"), rune(b[j])) {
				j++
			}
			toks = append(toks, string(b[i:j]))
			i = j
		}
	}
	return toks
}

// TestContentShapes checks the reader on content as fpdf writes it.
func TestContentShapes(t *testing.T) {
	content := []byte("0.122 0.306 0.475 RG\n1.56 w\n10.00 20.00 m 30.00 40.00 l S\n" +
		"q 0.357 0.396 0.451 rg BT 55.28 610.02 Td (a \\) b l S) Tj ET Q\n" +
		"1.000 g\n1.00 2.00 3.00 4.00 re f\n")
	got := contentShapes(content)
	if len(got) != 2 {
		t.Fatalf("%d shapes, want 2: %+v", len(got), got)
	}
	if s := got[0]; s.path != "m l" || s.paint != "S" || !is(s.stroke, accentColor) || s.width != 1.56 || len(s.pts) != 4 || s.pts[3] != 40 {
		t.Errorf("line: %+v", s)
	}
	if s := got[1]; s.path != "re" || s.paint != "f" || !is(s.fill, whiteColor) {
		t.Errorf("rect: %+v", s)
	}
}
