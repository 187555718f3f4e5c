package reports

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-fonts/dejavu/dejavusanscondensed"
	"github.com/go-fonts/dejavu/dejavusanscondensedbold"
	"github.com/go-fonts/dejavu/dejavusanscondensedoblique"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// The PDF's text is set in DejaVu Sans (Bitstream Vera licence, see
// docs/third-party.md), which covers Latin with its extensions (Vietnamese too),
// Greek, Cyrillic, Hebrew, Arabic and many symbols. Fonts of [report] fonts fill in
// what it lacks (CJK, for one): each character is drawn in the first font that has
// it, the base family first. A character that no font has is drawn as a replacement
// character and named in one warning per value.

// fontFace is one TrueType font the PDF can draw with.
type fontFace struct {
	name   string // for errors and logs: "DejaVu Sans Bold" or the file's path
	family string // fpdf's family of it
	style  string // fpdf's style of it: "", "B" or "I"
	ttf    []byte
	sf     *sfnt.Font
	upem   float64

	mu     sync.Mutex
	buf    sfnt.Buffer
	glyphs map[rune]bool // whether it has a glyph for the rune
	widths map[rune]int  // advance in thousandths of the font size
}

// newFontFace parses ttf, a TrueType font (not a collection, not CFF outlines,
// which the PDF writer cannot embed).
func newFontFace(name, family, style string, ttf []byte) (*fontFace, error) {
	if err := CheckTrueType(ttf); err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	sf, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return &fontFace{name: name, family: family, style: style, ttf: ttf, sf: sf,
		upem: float64(sf.UnitsPerEm()), glyphs: map[rune]bool{}, widths: map[rune]int{}}, nil
}

// CheckTrueType reports whether ttf is a TrueType font the PDF can embed: a single
// font with TrueType outlines and a Unicode character map. Config validation uses it
// for the files of [report] fonts.
func CheckTrueType(ttf []byte) error {
	switch {
	case len(ttf) < 12:
		return fmt.Errorf("not a TrueType font: only %d bytes", len(ttf))
	case bytes.HasPrefix(ttf, []byte("ttcf")):
		return fmt.Errorf("a font collection (.ttc) cannot be embedded; use a single .ttf font")
	case bytes.HasPrefix(ttf, []byte("OTTO")):
		return fmt.Errorf("an OpenType font with CFF outlines cannot be embedded; use a .ttf font with TrueType outlines")
	case !bytes.HasPrefix(ttf, []byte{0, 1, 0, 0}) && !bytes.HasPrefix(ttf, []byte("true")):
		return fmt.Errorf("not a TrueType font")
	}
	sf, err := sfnt.Parse(ttf)
	if err != nil {
		return fmt.Errorf("not a TrueType font: %w", err)
	}
	var buf sfnt.Buffer
	if i, err := sf.GlyphIndex(&buf, ' '); err != nil || i == 0 {
		if _, err := sf.GlyphIndex(&buf, 'A'); err != nil {
			return fmt.Errorf("no Unicode character map: %w", err)
		}
	}
	return nil
}

// has reports whether the font has a glyph for r. fpdf only draws characters of the
// Basic Multilingual Plane.
func (f *fontFace) has(r rune) bool {
	if r > 0xFFFF || r < 0x20 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ok, seen := f.glyphs[r]; seen {
		return ok
	}
	i, err := f.sf.GlyphIndex(&f.buf, r)
	ok := err == nil && i != 0
	f.glyphs[r] = ok
	return ok
}

// width returns the advance of r in thousandths of the font size, rounded as fpdf
// rounds the widths it writes into the PDF.
func (f *fontFace) width(r rune) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w, ok := f.widths[r]; ok {
		return w
	}
	w := 0
	if i, err := f.sf.GlyphIndex(&f.buf, r); err == nil && i != 0 {
		if adv, err := f.sf.GlyphAdvance(&f.buf, i, fixed.Int26_6(f.upem*64), font.HintingNone); err == nil {
			w = int(math.Round(float64(adv) / 64 * 1000 / f.upem))
		}
	}
	f.widths[r] = w
	return w
}

// The base family's fpdf name.
const baseFamily = "dejavu"

// baseFaces are DejaVu Sans, Bold and Oblique, parsed once.
var baseFaces = sync.OnceValues(func() (map[string]*fontFace, error) {
	faces := map[string]*fontFace{}
	for _, f := range []struct {
		name, style string
		ttf         []byte
	}{
		{"DejaVu Sans Condensed", "", dejavusanscondensed.TTF},
		{"DejaVu Sans Condensed Bold", "B", dejavusanscondensedbold.TTF},
		{"DejaVu Sans Condensed Oblique", "I", dejavusanscondensedoblique.TTF},
	} {
		face, err := newFontFace(f.name, baseFamily, f.style, f.ttf)
		if err != nil {
			return nil, err
		}
		faces[f.style] = face
	}
	return faces, nil
})

// fontSet is the fonts of one rendering: the base family and the fallbacks, and the
// characters no font had.
type fontSet struct {
	base      map[string]*fontFace // by style
	fallbacks []*fontFace
	logger    *slog.Logger
	missing   map[string]bool // values already warned about
	warned    int
}

// maxFontWarnings is how many values with characters no font has are named in the
// log of one rendering; one more warning counts the rest.
const maxFontWarnings = 20

// loadFonts returns the base family with the fallback fonts read from paths.
func loadFonts(paths []string, logger *slog.Logger) (*fontSet, error) {
	base, err := baseFaces()
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	fs := &fontSet{base: base, logger: logger, missing: map[string]bool{}}
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("render pdf: font: %w", err)
		}
		face, err := newFontFace(p, fmt.Sprintf("fallback%d", i), "", b)
		if err != nil {
			return nil, fmt.Errorf("render pdf: %w", err)
		}
		fs.fallbacks = append(fs.fallbacks, face)
	}
	return fs, nil
}

// faces returns the fonts text of style is drawn with, in the order they are tried:
// the base font of the style, the regular base font, then the fallbacks.
func (fs *fontSet) faces(style string) []*fontFace {
	out := []*fontFace{fs.base[style]}
	if style != "" {
		out = append(out, fs.base[""])
	}
	return append(out, fs.fallbacks...)
}

// replacement returns the character drawn for one no font has: U+FFFD, or "□" or
// "?" when the base font of style lacks that.
func (fs *fontSet) replacement(style string) rune {
	for _, r := range []rune{'\uFFFD', '□'} {
		if fs.base[style].has(r) {
			return r
		}
	}
	return '?'
}

// textRun is a piece of text drawn in one font.
type textRun struct {
	face *fontFace
	text string
}

// segment splits s into runs by the font of each character in style, and returns
// the characters no font has (each replaced in the runs). Text is normalized to NFC
// so that a letter with a combining accent uses the precomposed glyph; invalid
// UTF-8, control characters and invisible format characters (such as zero-width
// joiners, direction marks and variation selectors) are dropped or replaced.
func (fs *fontSet) segment(s, style string) (runs []textRun, missing []rune) {
	if !utf8.ValidString(s) {
		missing = append(missing, utf8.RuneError)
	}
	s = pdfClean(s)
	faces := fs.faces(style)
	var cur *fontFace
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			runs = append(runs, textRun{cur, b.String()})
			b.Reset()
		}
	}
	for _, r := range s {
		if r = visible(r); r < 0 {
			continue
		}
		face, r2 := fs.faceOf(faces, r, style)
		if r2 != r {
			missing = append(missing, r)
			r = r2
		}
		if face != cur {
			flush()
			cur = face
		}
		b.WriteRune(r)
	}
	flush()
	return runs, missing
}

// pdfClean returns s as valid UTF-8 in NFC.
func pdfClean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if isASCII(s) {
		return s
	}
	return norm.NFC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// visible returns the character drawn for r: a space for a tab, -1 (nothing) for a
// control character or an invisible format character or variation selector.
func visible(r rune) rune {
	switch {
	case r == '\t':
		return ' '
	case r < 0x20 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r):
		return -1
	}
	return r
}

// faceOf returns the first of faces that has r, and r; or, when none has it, the
// first face and the replacement character of style.
func (fs *fontSet) faceOf(faces []*fontFace, r rune, style string) (*fontFace, rune) {
	for _, f := range faces {
		if f.has(r) {
			return f, r
		}
	}
	return faces[0], fs.replacement(style)
}

// units returns the width of s in style in thousandths of the font size, as it is
// drawn: each character in its font.
func (fs *fontSet) units(s, style string) int {
	base := fs.base[style]
	if isASCII(s) {
		w := 0
		for i := 0; i < len(s); i++ {
			if r := visible(rune(s[i])); r >= 0 {
				w += base.width(r)
			}
		}
		return w
	}
	faces := fs.faces(style)
	w := 0
	for _, r := range pdfClean(s) {
		if r = visible(r); r >= 0 {
			f, r := fs.faceOf(faces, r, style)
			w += f.width(r)
		}
	}
	return w
}

// warnMissing logs, once per value, that no font has the characters missing of s.
func (fs *fontSet) warnMissing(s string, missing []rune) {
	if len(missing) == 0 || fs.missing[s] {
		return
	}
	fs.missing[s] = true
	fs.warned++
	if fs.logger == nil {
		return
	}
	switch {
	case fs.warned <= maxFontWarnings:
		var chars []string
		for _, r := range missing {
			c := string(r)
			if r == utf8.RuneError {
				c = "invalid UTF-8"
			}
			if !containsString(chars, c) {
				chars = append(chars, c)
			}
		}
		fs.logger.Warn("PDF: characters no font has", "value", strings.ToValidUTF8(s, "\uFFFD"),
			"chars", strings.Join(chars, " "), "hint", "add a font that has them to [report] fonts")
	case fs.warned == maxFontWarnings+1:
		fs.logger.Warn("PDF: more values with characters no font has; not all are logged")
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pdfMeta makes s safe for the PDF's document information (title, author): valid
// UTF-8 of the Basic Multilingual Plane without control characters.
func pdfMeta(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r > 0xFFFF:
			return '\uFFFD'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}
