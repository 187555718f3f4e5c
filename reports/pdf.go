package reports

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// RenderPDF writes rep as an A4 PDF to w, laid out by t (nil: the built-in template
// of the report's period kind), with the PNG or JPEG logo (optional: "") in the
// header. Text is real text in embedded UTF-8 fonts (DejaVu Sans); charts are
// vectors. The same report gives the same bytes.
func RenderPDF(w io.Writer, rep *kpi.Report, t *Template, logo string) error {
	return RenderPDFOptions(w, rep, t, PDFOptions{Logo: logo})
}

// PDFOptions are the optional settings of RenderPDFOptions.
type PDFOptions struct {
	Logo   string       // PNG or JPEG file for the header; "" for none
	Fonts  []string     // TrueType files for characters DejaVu Sans lacks, tried in order
	Logger *slog.Logger // gets one warning per value with characters no font has; nil: none
}

// RenderPDFOptions is RenderPDF with fallback fonts and a logger. A character that
// no font has is drawn as a replacement character (U+FFFD) and logged. A panic while
// laying out the PDF (a bug) is returned as an error "render pdf: internal error";
// nothing has been written to w then.
func RenderPDFOptions(w io.Writer, rep *kpi.Report, t *Template, opt PDFOptions) (err error) {
	t, err = prepare(rep, t)
	if err != nil {
		return err
	}
	var img *logoImage
	if opt.Logo != "" {
		if img, err = readLogo(opt.Logo); err != nil {
			return err
		}
	}
	fonts, err := loadFonts(opt.Fonts, opt.Logger)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			if opt.Logger != nil {
				opt.Logger.Error("render pdf: internal error", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			err = fmt.Errorf("render pdf: internal error: %v", p)
		}
	}()
	// The footer says "page N of M": lay out once to count the pages, then for real.
	// The document is written to w only when it is complete.
	pages := 0
	for pass := 0; pass < 2; pass++ {
		d, err := newPDFDoc(rep, t, img, fonts, pages)
		if err != nil {
			return err
		}
		if err := d.build(); err != nil {
			return err
		}
		if pass == 0 {
			pages = d.pdf.PageCount()
			continue
		}
		var buf bytes.Buffer
		if err := d.pdf.Output(&buf); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("render pdf: %w", err)
		}
	}
	return nil
}

// pdfCompress can be turned off by tests to read the PDF's streams.
var pdfCompress = true

// rgb is a colour.
type rgb struct{ r, g, b int }

var (
	inkColor    = rgb{27, 36, 48}
	mutedColor  = rgb{91, 101, 115}
	faintColor  = rgb{138, 148, 163}
	ruleColor   = rgb{213, 219, 227}
	cardColor   = rgb{246, 248, 250}
	accentColor = rgb{31, 78, 121}
	barColor    = rgb{74, 127, 176}
	goodColor   = rgb{30, 123, 69}
	badColor    = rgb{192, 57, 43}
	nearColor   = rgb{183, 121, 31}
	stripeColor = rgb{243, 246, 249}
	whiteColor  = rgb{255, 255, 255}
)

// Page geometry in mm (A4 portrait).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 16.0
	marginTop    = 14.0
	contentW     = pageW - 2*marginX
	contentBot   = pageH - 18.0 // content ends above the footer
	runningTop   = 22.0         // where content starts below the running header
	ptToMM       = 25.4 / 72
	sectionGapMM = 7.0
)

// logoImage is a logo read from disk.
type logoImage struct {
	data []byte
	typ  string // "PNG" or "JPG"
}

// readLogo reads a PNG or JPEG file.
func readLogo(path string) (*logoImage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLogo, err)
	}
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return &logoImage{data: b, typ: "PNG"}, nil
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return &logoImage{data: b, typ: "JPG"}, nil
	}
	return nil, fmt.Errorf("%w: %s is not a PNG or JPEG image", ErrLogo, path)
}

// pdfDoc lays out one PDF.
type pdfDoc struct {
	pdf   *fpdf.Fpdf
	rep   *kpi.Report
	t     *Template
	lang  string
	loc   locale.Format
	data  textData
	logo  *logoImage
	pages int // the total, or 0 while counting
	title string
	y     float64 // where the next content goes
	rowH  float64 // the row height of the tables being drawn

	fonts      *fontSet
	style      string             // of the current font: "", "B" or "I"
	size       float64            // of the current font, in points
	registered map[*fontFace]bool // the fonts added to this document
}

func newPDFDoc(rep *kpi.Report, t *Template, logo *logoImage, fonts *fontSet, pages int) (*pdfDoc, error) {
	d := &pdfDoc{
		rep:        rep,
		t:          t,
		lang:       rep.Lang,
		loc:        locale.New(rep.Lang, rep.Currency),
		data:       newTextData(rep, t),
		logo:       logo,
		pages:      pages,
		fonts:      fonts,
		registered: map[*fontFace]bool{},
	}
	var err error
	if d.title, err = t.Title(rep); err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	d.pdf = pdf
	pdf.SetCompression(pdfCompress)
	pdf.SetCatalogSort(true)
	// The dates of the document come from the data, not the clock, so the same data
	// renders to the same bytes whenever it is rendered.
	pdf.SetCreationDate(dataEnd(rep).UTC())
	pdf.SetModificationDate(dataEnd(rep).UTC())
	pdf.SetTitle(pdfMeta(rep.Company+" · "+d.title+" · "+d.data.Period), true)
	pdf.SetAuthor(pdfMeta(rep.Company), true)
	pdf.SetSubject(pdfMeta(d.title), true)
	pdf.SetCreator("kpireport", true)
	pdf.SetProducer("kpireport", true)
	pdf.SetLang(rep.Lang)
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetCellMargin(0)
	pdf.SetAutoPageBreak(false, 0)
	if logo != nil {
		pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: logo.typ}, bytes.NewReader(logo.data))
		if pdf.Err() {
			return nil, fmt.Errorf("%w: %w", ErrLogo, pdf.Error())
		}
	}
	pdf.SetHeaderFunc(d.runningHeader)
	pdf.SetFooterFunc(d.footer)
	return d, nil
}

// build lays out every section of the template.
func (d *pdfDoc) build() error {
	d.pdf.AddPage()
	if err := d.header(); err != nil {
		return err
	}
	for i, s := range d.t.Sections {
		title, err := d.t.SectionTitle(d.rep, i)
		if err != nil {
			return err
		}
		if s.NewPage && d.y > runningTop {
			d.newPage()
		}
		switch s.Kind {
		case SectionCards:
			err = d.cards(title, s.KPIs)
		case SectionCharts:
			err = d.charts(title, s.KPIs)
		case SectionByRep, SectionByRegion:
			// Tables that follow one another share a row height, set by the first.
			if i == 0 || s.NewPage || !d.isTable(i-1) {
				d.rowH, err = d.tableRowHeight(i)
			}
			if err == nil {
				tb, _ := d.dimSectionOf(s.Kind)
				d.dimTable(title, tb)
			}
		case SectionNotes:
			d.notes(title)
		case SectionDefinitions:
			d.definitions(title)
		case SectionText:
			var body string
			if body, err = s.body.exec(d.lang, d.data); err == nil {
				d.sectionTitle(title, 12)
				d.paragraph(body, 9.5, inkColor)
			}
		}
		if err != nil {
			return err
		}
		d.y += sectionGapMM
	}
	if d.pdf.Err() {
		return fmt.Errorf("render pdf: %w", d.pdf.Error())
	}
	return nil
}

// font sets the base font of style ("", "B" or "I") in size points.
func (d *pdfDoc) font(style string, size float64) {
	d.style, d.size = style, size
	d.setFace(d.fonts.base[style], size)
}

// setFace makes f the font of the text drawn next, adding it to the document first.
// While the pages are counted (d.pages == 0) the text is measured as ever but drawn in
// a core font: that pass's output is thrown away, and parsing the TrueType files
// twice would double the time fonts take.
func (d *pdfDoc) setFace(f *fontFace, size float64) {
	if d.pages == 0 {
		d.pdf.SetFont("Helvetica", f.style, size)
		return
	}
	if !d.registered[f] {
		d.pdf.AddUTF8FontFromBytes(f.family, f.style, f.ttf)
		d.registered[f] = true
	}
	d.pdf.SetFont(f.family, f.style, size)
}

// width returns the width of s in mm in the current font, each character measured
// in the font it is drawn with.
func (d *pdfDoc) width(s string) float64 {
	return float64(d.fonts.units(s, d.style)) * d.size * ptToMM / 1000
}

func (d *pdfDoc) textColor(c rgb) { d.pdf.SetTextColor(c.r, c.g, c.b) }
func (d *pdfDoc) fillColor(c rgb) { d.pdf.SetFillColor(c.r, c.g, c.b) }
func (d *pdfDoc) drawColor(c rgb) { d.pdf.SetDrawColor(c.r, c.g, c.b) }

// text writes s with its baseline at y, each run of characters in the first font
// that has them; a character no font has is drawn as a replacement and logged.
func (d *pdfDoc) text(x, y float64, s string) {
	runs, missing := d.fonts.segment(s, d.style)
	d.fonts.warnMissing(s, missing)
	base := d.fonts.base[d.style]
	for _, run := range runs {
		if run.face == base {
			d.pdf.Text(x, y, run.text)
		} else {
			d.setFace(run.face, d.size)
			d.pdf.Text(x, y, run.text)
			d.setFace(base, d.size)
		}
		w := 0
		for _, r := range run.text {
			w += run.face.width(r)
		}
		x += float64(w) * d.size * ptToMM / 1000
	}
}

// textRight writes s ending at x.
func (d *pdfDoc) textRight(x, y float64, s string) { d.text(x-d.width(s), y, s) }

// textCenter writes s centred on x.
func (d *pdfDoc) textCenter(x, y float64, s string) { d.text(x-d.width(s)/2, y, s) }

// fit sets the largest font size from size down to min at which s fits in w, and
// returns whether it fits.
func (d *pdfDoc) fit(style string, size, min float64, s string, w float64) bool {
	for ; size > min; size -= 0.25 {
		d.font(style, size)
		if d.width(s) <= w {
			return true
		}
	}
	d.font(style, min)
	return d.width(s) <= w
}

// ellipsis shortens s with "…" until it fits in w in the current font.
func (d *pdfDoc) ellipsis(s string, w float64) string {
	if d.width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && d.width(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// lines wraps s into lines of at most w in the current font.
func (d *pdfDoc) lines(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if para == "" {
			out = append(out, "")
			continue
		}
		out = append(out, d.splitText(para, w)...)
	}
	return out
}

// splitText wraps one paragraph into lines of at most w mm in the current font, as
// fpdf's SplitText does but measuring each character in the font it is drawn with:
// a line breaks at its last space (which it drops) or after a CJK character, and a
// word longer than a line is cut.
func (d *pdfDoc) splitText(s string, w float64) []string {
	s = pdfClean(s)
	faces := d.fonts.faces(d.style)
	wmax := int(math.Ceil(w * 1000 / (d.size * ptToMM)))
	rs := []rune(s)
	var lines []string
	sep, start, l := -1, 0, 0
	for i := 0; i < len(rs); {
		c := rs[i]
		if v := visible(c); v >= 0 {
			f, v := d.fonts.faceOf(faces, v, d.style)
			l += f.width(v)
		}
		if unicode.IsSpace(c) || isCJK(c) {
			sep = i
		}
		if l <= wmax {
			i++
			continue
		}
		switch {
		case sep == -1:
			if i == start {
				i++
			}
			sep = i
		case unicode.IsSpace(rs[sep]):
			i = sep + 1
		default: // after a CJK character
			sep++
			if sep > i {
				sep = i
			}
			i = sep
			if i == start {
				i++
				sep = i
			}
		}
		lines = append(lines, string(rs[start:sep]))
		sep, start, l = -1, i, 0
	}
	if start < len(rs) {
		lines = append(lines, string(rs[start:]))
	}
	return lines
}

// isCJK reports whether a line may break after r without a space.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF
}

// lineHeight returns a comfortable line height in mm for a font size in points.
func lineHeight(size float64) float64 { return size * ptToMM * 1.35 }

// newPage starts a page below the running header.
func (d *pdfDoc) newPage() {
	d.pdf.AddPage()
	d.y = runningTop
}

// ensure starts a new page when h mm do not fit below the current position.
func (d *pdfDoc) ensure(h float64) {
	if d.y+h > contentBot {
		d.newPage()
	}
}

// header draws the first page's header: logo, company, title, period and intro.
func (d *pdfDoc) header() error {
	pdf := d.pdf
	top := marginTop
	x := marginX
	if d.logo != nil {
		info := pdf.GetImageInfo("logo")
		h := 16.0
		w := h * info.Width() / info.Height()
		if w > 45 {
			w, h = 45, 45*info.Height()/info.Width()
		}
		pdf.ImageOptions("logo", marginX, top, w, h, false, fpdf.ImageOptions{ImageType: d.logo.typ}, 0, "")
		x += w + 5
	}
	right := marginX + contentW
	// The period on the right, the company and title on the left.
	d.font("B", 15)
	d.textColor(accentColor)
	period := d.data.Period
	d.textRight(right, top+6, period)
	periodW := d.width(period)
	d.font("", 8.5)
	d.textColor(mutedColor)
	rangeText := d.t.label(d.lang, "period_range", "start", d.data.Start, "end", d.data.End)
	if d.rep.Incomplete() {
		rangeText = toDateText(d.t, d.rep, d.loc)
	}
	d.textRight(right, top+11.5, rangeText)
	avail := right - x - max(periodW, d.width(rangeText)) - 6
	d.textColor(inkColor)
	d.fit("B", 19, 12, cleanText(d.rep.Company), avail)
	d.text(x, top+7, d.ellipsis(cleanText(d.rep.Company), avail))
	d.textColor(mutedColor)
	d.fit("", 11, 8, d.title, avail)
	d.text(x, top+13, d.ellipsis(d.title, avail))
	d.y = top + 19
	if d.logo != nil {
		d.y = max(d.y, top+17)
	}
	d.drawColor(accentColor)
	pdf.SetLineWidth(0.7)
	pdf.Line(marginX, d.y, right, d.y)
	d.y += 6
	intro, err := d.t.intro.exec(d.lang, d.data)
	if err != nil {
		return err
	}
	if intro = strings.TrimSpace(intro); intro != "" {
		d.paragraph(intro, 9.5, inkColor)
		d.y += 3
	}
	return nil
}

// runningHeader draws the header of the pages after the first.
func (d *pdfDoc) runningHeader() {
	if d.pdf.PageNo() == 1 {
		return
	}
	pdf := d.pdf
	d.font("B", 8)
	d.textColor(inkColor)
	company := d.ellipsis(cleanText(d.rep.Company), contentW/2)
	d.text(marginX, 12, company)
	d.font("", 8)
	d.textColor(mutedColor)
	d.textRight(marginX+contentW, 12, d.ellipsis(d.title+" · "+d.data.Period, contentW/2-4))
	d.drawColor(ruleColor)
	pdf.SetLineWidth(0.3)
	pdf.Line(marginX, 14.5, marginX+contentW, 14.5)
}

// footer draws "page N of M" and, for a "to date" report, that marker.
func (d *pdfDoc) footer() {
	pdf := d.pdf
	y := pageH - 10
	d.drawColor(ruleColor)
	pdf.SetLineWidth(0.3)
	pdf.Line(marginX, y-4.5, marginX+contentW, y-4.5)
	d.font("", 7.5)
	d.textColor(mutedColor)
	// No generation time: it would make every render's bytes differ (the ledger
	// records when a run happened).
	if d.rep.Incomplete() {
		// Every page says that the period had not ended.
		d.font("B", 7.5)
		d.textColor(accentColor)
		text := toDateText(d.t, d.rep, d.loc)
		d.text(marginX+(contentW-pdf.GetStringWidth(text))/2, y, text)
		d.font("", 7.5)
		d.textColor(mutedColor)
	}
	total := "?"
	if d.pages > 0 {
		total = itoa(d.pages)
	}
	d.textRight(marginX+contentW, y, d.t.label(d.lang, "page_n_of_m", "n", itoa(pdf.PageNo()), "m", total))
}

// sectionTitle draws a section's title and keeps room for need mm below it.
func (d *pdfDoc) sectionTitle(title string, need float64) {
	if title == "" {
		return
	}
	d.ensure(10 + need)
	d.font("B", 12.5)
	d.textColor(accentColor)
	d.text(marginX, d.y+4.5, d.ellipsis(title, contentW))
	d.y += 9
}

// paragraph writes wrapped text across the content width.
func (d *pdfDoc) paragraph(s string, size float64, c rgb) {
	d.font("", size)
	d.textColor(c)
	lh := lineHeight(size)
	for _, l := range d.lines(s, contentW) {
		d.ensure(lh)
		d.text(marginX, d.y+lh*0.75, l)
		d.y += lh
	}
}
