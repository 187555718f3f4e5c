package reports

import (
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
	tableRowH    = 5.6
	tableHeadH   = 8.6
	tableCellPad = 1.6
)

// dimTable draws the table of one dimension with a total row.
func (d *pdfDoc) dimTable(title, nameLabel, noneLabel string, dims []kpi.DimMeasures, withLeads bool) {
	var cols []dimColumn
	for _, c := range dimColumns(d.rep.Has, withLeads) {
		if slices.Contains(pdfDimColumns, c.label) {
			cols = append(cols, c)
		}
	}
	// Keep a table that fits on a page together.
	if h := 9 + tableHeadH + float64(len(dims)+1)*tableRowH; d.y+h > contentBot && runningTop+h <= contentBot {
		d.newPage()
	}
	d.sectionTitle(title, tableHeadH+3*tableRowH)
	if len(dims) == 0 {
		d.paragraph(d.t.label(d.lang, "no_rows"), 9, mutedColor)
		return
	}
	total := dimTotal(dims)
	rows := make([][]string, 0, len(dims)+1)
	for i := 0; i <= len(dims); i++ {
		dm := &total
		name := d.t.label(d.lang, "total")
		if i < len(dims) {
			dm, name = &dims[i], cleanText(dims[i].Name)
			if name == "" {
				name = d.t.label(d.lang, noneLabel)
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
	headers := []string{d.t.label(d.lang, nameLabel)}
	for _, c := range cols {
		headers = append(headers, d.t.label(d.lang, c.label))
	}

	// Column widths: the numbers' widest cell, the name column the rest. Shrink the
	// font until the name column keeps a fair share.
	size := 7.4
	var widths []float64
	for ; ; size -= 0.2 {
		widths = d.columnWidths(headers, rows, size)
		if widths[0] >= 30 || size <= 6 {
			break
		}
	}
	d.tableHeader(headers, widths, size)
	for i, row := range rows {
		isTotal := i == len(rows)-1
		if d.y+tableRowH > contentBot {
			d.newPage()
			d.tableHeader(headers, widths, size)
		}
		if isTotal {
			d.drawColor(accentColor)
			d.pdf.SetLineWidth(0.35)
			d.pdf.Line(marginX, d.y, marginX+contentW, d.y)
		} else if i%2 == 1 {
			d.fillColor(stripeColor)
			d.pdf.Rect(marginX, d.y, contentW, tableRowH, "F")
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
			base := d.y + tableRowH*0.68
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
		d.y += tableRowH
	}
}

// columnWidths returns the widths of a table's columns at font size size: each
// number column as wide as its widest cell or header word, the first the rest.
func (d *pdfDoc) columnWidths(headers []string, rows [][]string, size float64) []float64 {
	widths := make([]float64, len(headers))
	for j := 1; j < len(headers); j++ {
		d.font("B", size)
		w := 0.0
		for _, word := range strings.Fields(headers[j]) {
			w = max(w, d.pdf.GetStringWidth(word))
		}
		for _, row := range rows {
			w = max(w, d.pdf.GetStringWidth(row[j]))
		}
		widths[j] = w + 2*tableCellPad + 1
	}
	rest := contentW
	for _, w := range widths[1:] {
		rest -= w
	}
	widths[0] = rest
	return widths
}

// tableHeader draws the header row of a table: white on the accent colour, wrapped
// to two lines.
func (d *pdfDoc) tableHeader(headers []string, widths []float64, size float64) {
	d.fillColor(accentColor)
	d.pdf.Rect(marginX, d.y, contentW, tableHeadH, "F")
	d.textColor(whiteColor)
	x := marginX
	for j, h := range headers {
		d.font("B", size-0.4)
		ls := d.lines(h, widths[j]-2*tableCellPad)
		if len(ls) > 2 {
			ls = ls[:2]
		}
		lh := lineHeight(size - 0.4)
		y := d.y + tableHeadH/2 - float64(len(ls))*lh/2 + lh*0.75
		for _, l := range ls {
			if j == 0 {
				d.text(x+tableCellPad, y, l)
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
	if len(notes) == 0 {
		d.paragraph(d.t.label(d.lang, "notes_empty"), 9, inkColor)
		return
	}
	const size = 8.6
	lh := lineHeight(size)
	for _, n := range notes {
		d.font("B", size)
		nameW := d.pdf.GetStringWidth(n.name + "  ")
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
		metaW := d.pdf.GetStringWidth(meta)
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
