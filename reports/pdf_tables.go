package reports

import (
	"math"
	"slices"
	"strings"

	"github.com/kpireport/kpireport/kpi"
)

// pdfDimColumns are the columns of the PDF's rep and region tables; the workbook
// has these and the inputs of their ratios.
var pdfDimColumns = []string{"col_revenue", "col_sales_count", "col_aov", "col_bookings", "col_won_deals",
	"col_avg_cycle", "col_sales_calls", "col_qualified_leads", "col_lead_conversion"}

// Table geometry in mm.
const (
	tableRowH    = 5.6 // a row
	tableRowMinH = 4.2 // a row of tables set tighter to share a page, at the least
	tableHeadH   = 8.6
	tableCellPad = 1.6
	tableTitleH  = 9.0 // a section title above a table
)

// dimSection is what the table of a by_rep or by_region section shows: its labels,
// its rows and whether it has the lead and call columns.
type dimSection struct {
	nameLabel, noneLabel string
	dims                 []kpi.DimMeasures
	withLeads            bool
}

// dimSectionOf returns the table of a section of kind, false for a kind of section
// that is not a table.
func (d *pdfDoc) dimSectionOf(kind string) (dimSection, bool) {
	switch kind {
	case SectionByRep:
		return dimSection{"col_rep", "no_rep", d.rep.ByRep, true}, true
	case SectionByRegion:
		return dimSection{"col_region", "no_region", d.rep.ByRegion, false}, true
	}
	return dimSection{}, false
}

// isTable reports whether section i of the template is a table.
func (d *pdfDoc) isTable(i int) bool {
	_, ok := d.dimSectionOf(d.t.Sections[i].Kind)
	return ok
}

// height returns the height of the table with its title (if any): the part that
// does not depend on the row height, and the number of rows.
func (tb dimSection) height(title string) (fixed float64, rows int) {
	if title != "" {
		fixed = tableTitleH
	}
	if len(tb.dims) == 0 {
		return fixed + lineHeight(9), 0
	}
	return fixed + tableHeadH, len(tb.dims) + 1
}

// tableRowHeight returns the row height of the run of tables that starts with section
// first (the table sections that follow it without a page break): the normal height
// when the run fits on the rest of the page; when it does not, the largest height,
// down to tableRowMinH, that makes it fit, so that the last table does not end up
// alone on a page; and the normal height when no height makes it fit.
func (d *pdfDoc) tableRowHeight(first int) (float64, error) {
	var fixed float64
	var rows int
	for i := first; i < len(d.t.Sections); i++ {
		s := d.t.Sections[i]
		tb, ok := d.dimSectionOf(s.Kind)
		if !ok || i > first && s.NewPage {
			break
		}
		title, err := d.t.SectionTitle(d.rep, i)
		if err != nil {
			return 0, err
		}
		if i > first {
			fixed += sectionGapMM
		}
		f, n := tb.height(title)
		fixed, rows = fixed+f, rows+n
	}
	room := contentBot - d.y - fixed
	if rows == 0 || room >= float64(rows)*tableRowH {
		return tableRowH, nil
	}
	// In tenths of a millimetre, so that the same report gives the same layout.
	if h := math.Floor(room/float64(rows)*10+1e-9) / 10; h >= tableRowMinH {
		return h, nil
	}
	return tableRowH, nil
}

// dimTable draws the table of one dimension with a total row, its rows d.rowH high.
func (d *pdfDoc) dimTable(title string, tb dimSection) {
	rowH := d.rowH
	if rowH == 0 {
		rowH = tableRowH
	}
	// Keep a table that fits on a page together with its title.
	fixed, n := tb.height(title)
	if h := fixed + float64(n)*rowH; d.y+h > contentBot && runningTop+h <= contentBot {
		d.newPage()
	}
	d.sectionTitle(title, tableHeadH+3*rowH)
	if len(tb.dims) == 0 {
		d.paragraph(d.t.label(d.lang, "no_rows"), 9, mutedColor)
		return
	}
	headers, rows := d.dimCells(tb)
	l := d.tableLayout(headers, rows)
	size, widths := l.size, l.widths
	d.tableHeader(headers, l)
	for i, row := range rows {
		isTotal := i == len(rows)-1
		if d.y+rowH > contentBot {
			d.newPage()
			d.tableHeader(headers, l)
		}
		if isTotal {
			d.drawColor(accentColor)
			d.pdf.SetLineWidth(0.35)
			d.pdf.Line(marginX, d.y, marginX+contentW, d.y)
		} else if i%2 == 1 {
			d.fillColor(stripeColor)
			d.pdf.Rect(marginX, d.y, contentW, rowH, "F")
		}
		style := ""
		if isTotal {
			style = "B"
		}
		x := marginX
		for j, cell := range row {
			d.font(style, size)
			d.textColor(inkColor)
			if cell == "–" {
				d.textColor(faintColor)
			}
			base := d.y + rowH*0.68
			if j == 0 {
				if !isTotal {
					d.font("B", size)
				}
				d.text(x+tableCellPad, base, d.ellipsis(cell, widths[0]-2*tableCellPad))
			} else {
				d.textRight(x+widths[j]-tableCellPad, base, cell)
			}
			x += widths[j]
		}
		d.y += rowH
	}
}

// dimCells returns the header (with its soft hyphens) and the rows of the table of
// tb, the total last, as the PDF prints them.
func (d *pdfDoc) dimCells(tb dimSection) (headers []string, rows [][]string) {
	var cols []dimColumn
	for _, c := range dimColumns(d.rep.Has, tb.withLeads) {
		if slices.Contains(pdfDimColumns, c.label) {
			cols = append(cols, c)
		}
	}
	headers = []string{d.t.hyphenatedLabel(d.lang, tb.nameLabel)}
	for _, c := range cols {
		headers = append(headers, d.t.hyphenatedLabel(d.lang, c.label))
	}
	total := dimTotal(tb.dims)
	for i := 0; i <= len(tb.dims); i++ {
		dm := &total
		name := d.t.label(d.lang, "total")
		if i < len(tb.dims) {
			dm, name = &tb.dims[i], cleanText(tb.dims[i].Name)
			if name == "" {
				name = d.t.label(d.lang, tb.noneLabel)
			}
		}
		row := []string{name}
		for _, c := range cols {
			if v := c.value(dm); v != nil {
				row = append(row, d.loc.Rat(v, c.unit))
			} else {
				row = append(row, "–")
			}
		}
		rows = append(rows, row)
	}
	return headers, rows
}

// Table type in points, and the widest the name column need be in mm.
const (
	tableFontSize    = 7.4 // the rows
	tableMinFontSize = 6.0
	tableHeadSize    = 7.0 // the header row
	tableHeadMinSize = 6.2
	tableNameMaxW    = 30.0
)

// tableLayout is how a table is set: its type sizes in points and its column widths
// in mm.
type tableLayout struct {
	size, headSize float64
	widths         []float64
}

// tableLayout sets a table in the largest type that leaves the name column room for
// its widest name or header (up to tableNameMaxW): the header row shrinks first, down
// to tableHeadMinSize, then the whole table.
func (d *pdfDoc) tableLayout(headers []string, rows [][]string) tableLayout {
	var l tableLayout
	for size := tableFontSize; size >= tableMinFontSize-1e-9; size -= 0.2 {
		largest := size - (tableFontSize - tableHeadSize) // the header's size with rows of size
		d.font("B", largest)
		need := d.headerWidth(headers[0])
		d.font("B", size)
		for _, row := range rows {
			need = max(need, d.width(row[0]))
		}
		need = min(need+2*tableCellPad, tableNameMaxW)
		for head := largest; head >= min(tableHeadMinSize, largest)-1e-9; head -= 0.2 {
			l = tableLayout{size: size, headSize: head, widths: d.columnWidths(headers, rows, size, head)}
			if l.widths[0] >= need-1e-9 {
				return l
			}
		}
	}
	return l
}

// columnWidths returns the widths of a table's columns with rows in bold type of
// size and the header in head: each number column as wide as its widest cell or as
// its header needs to fit on two lines, the first the rest.
func (d *pdfDoc) columnWidths(headers []string, rows [][]string, size, head float64) []float64 {
	widths := make([]float64, len(headers))
	for j := 1; j < len(headers); j++ {
		d.font("B", head)
		w := d.headerWidth(headers[j])
		d.font("B", size)
		for _, row := range rows {
			w = max(w, d.width(row[j]))
		}
		widths[j] = w + 2*tableCellPad + 0.5
	}
	rest := contentW
	for _, w := range widths[1:] {
		rest -= w
	}
	widths[0] = rest
	return widths
}

// headerPiece is a piece of a table header that a line may break before: a word,
// or the part of a word after a soft hyphen.
type headerPiece struct {
	text   string
	inWord bool // it goes on the word before it: a break before it ends the line with "-"
}

// headerPieces splits header h at its spaces and soft hyphens.
func headerPieces(h string) []headerPiece {
	var ps []headerPiece
	for _, word := range strings.Fields(h) {
		inWord := false
		for _, p := range strings.Split(word, softHyphen) {
			if p != "" {
				ps = append(ps, headerPiece{p, inWord})
				inWord = true
			}
		}
	}
	return ps
}

// headerLine returns the line of pieces ps[from:to], with a hyphen when a word goes
// on after it.
func headerLine(ps []headerPiece, from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		if i > from && !ps[i].inWord {
			b.WriteByte(' ')
		}
		b.WriteString(ps[i].text)
	}
	if to < len(ps) && ps[to].inWord {
		b.WriteByte('-')
	}
	return b.String()
}

// headerWidth returns the least width in which header h fits on at most two lines
// in the current font.
func (d *pdfDoc) headerWidth(h string) float64 {
	ps := headerPieces(h)
	w := d.width(headerLine(ps, 0, len(ps)))
	for k := 1; k < len(ps); k++ {
		w = min(w, max(d.width(headerLine(ps, 0, k)), d.width(headerLine(ps, k, len(ps)))))
	}
	return w
}

// headerLines wraps header h into lines of at most w in the current font, breaking
// at spaces and soft hyphens; a piece wider than w has a line of its own.
func (d *pdfDoc) headerLines(h string, w float64) []string {
	ps := headerPieces(h)
	var lines []string
	for from := 0; from < len(ps); {
		to := from + 1
		for to < len(ps) && d.width(headerLine(ps, from, to+1)) <= w+1e-6 {
			to++
		}
		lines = append(lines, headerLine(ps, from, to))
		from = to
	}
	return lines
}

// tableHeader draws the header row of a table: white on the accent colour, wrapped
// to two lines.
func (d *pdfDoc) tableHeader(headers []string, l tableLayout) {
	d.fillColor(accentColor)
	d.pdf.Rect(marginX, d.y, contentW, tableHeadH, "F")
	d.textColor(whiteColor)
	widths := l.widths
	x := marginX
	for j, h := range headers {
		d.font("B", l.headSize)
		ls := d.headerLines(h, widths[j]-2*tableCellPad)
		if len(ls) > 2 {
			ls = ls[:2]
		}
		lh := lineHeight(l.headSize)
		y := d.y + tableHeadH/2 - float64(len(ls))*lh/2 + lh*0.75
		for _, l := range ls {
			if j == 0 {
				d.text(x+tableCellPad, y, d.ellipsis(l, widths[0]-2*tableCellPad))
			} else {
				d.textRight(x+widths[j]-tableCellPad, y, l)
			}
			y += lh
		}
		x += widths[j]
	}
	d.y += tableHeadH
}

// notes lists every n/a of the report with its reason: of the period, the previous
// period and the year-ago period, per KPI.
func (d *pdfDoc) notes(title string) {
	type note struct{ name, text string }
	var notes []note
	for _, r := range d.rep.KPIs {
		for _, n := range d.t.naNotes(d.rep, d.loc, r) {
			notes = append(notes, note{r.Def.Name(d.lang), n.text(d.lang, d.loc)})
		}
	}
	d.sectionTitle(title, 12)
	if q := d.rep.Quality; q != nil {
		f := d.loc
		text := q.FormatSummary(f)
		if !q.Passed() {
			text += " " + q.FormatReasons(f) + "."
		}
		d.paragraph(text, 8.6, mutedColor)
		d.y += 2
	}
	if len(notes) == 0 {
		d.paragraph(d.t.label(d.lang, "notes_empty"), 9, inkColor)
		return
	}
	const size = 8.6
	lh := lineHeight(size)
	for _, n := range notes {
		d.font("B", size)
		nameW := d.width(n.name + "  ")
		d.font("", size)
		indent := 4.0
		ls := d.lines(n.text, contentW-indent-nameW)
		d.ensure(lh * float64(len(ls)))
		d.fillColor(accentColor)
		d.pdf.Circle(marginX+1.2, d.y+lh*0.5, 0.6, "F")
		d.font("B", size)
		d.textColor(inkColor)
		d.text(marginX+indent, d.y+lh*0.75, n.name)
		d.font("", size)
		d.textColor(mutedColor)
		for _, l := range ls {
			d.text(marginX+indent+nameW, d.y+lh*0.75, l)
			d.y += lh
		}
		d.y += 0.8
	}
}

// definitions prints each KPI's formula, unit, direction and when it is n/a.
func (d *pdfDoc) definitions(title string) {
	d.sectionTitle(title, 14)
	const formulaSize, naSize = 8.0, 7.2
	lhF, lhN := formulaSize*ptToMM*1.25, naSize*ptToMM*1.25
	for _, def := range kpi.Defs {
		x := d.t.defs.KPI[def.ID][d.lang]
		meta := d.t.unitLabel(d.lang, d.rep.Currency, def.Unit) + " · " + d.t.label(d.lang, "col_better") + ": " + d.t.betterLabel(d.lang, def.Better)
		d.font("", formulaSize)
		formula := d.lines(x.Formula, contentW)
		d.font("I", naSize)
		na := d.lines(d.t.label(d.lang, "col_na_when")+": "+x.NA, contentW)
		h := 4.6 + float64(len(formula))*lhF + float64(len(na))*lhN + 2.2
		d.ensure(h)
		d.font("", 7)
		d.textColor(mutedColor)
		d.textRight(marginX+contentW, d.y+3.4, meta)
		metaW := d.width(meta)
		d.font("B", 8.8)
		d.textColor(inkColor)
		d.text(marginX, d.y+3.4, d.ellipsis(def.Name(d.lang), contentW-metaW-4))
		d.y += 4.6
		d.font("", formulaSize)
		for _, l := range formula {
			d.text(marginX, d.y+lhF*0.75, l)
			d.y += lhF
		}
		d.font("I", naSize)
		d.textColor(mutedColor)
		for _, l := range na {
			d.text(marginX, d.y+lhN*0.75, l)
			d.y += lhN
		}
		d.y += 1.1
		d.drawColor(ruleColor)
		d.pdf.SetLineWidth(0.2)
		d.pdf.Line(marginX, d.y, marginX+contentW, d.y)
		d.y += 1.1
	}
}
