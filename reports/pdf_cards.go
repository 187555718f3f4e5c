package reports

import (
	"fmt"

	"github.com/go-pdf/fpdf"

	"github.com/kpireport/kpireport/kpi"
)

// Card grid geometry in mm.
const (
	cardCols = 3
	cardGap  = 4.0
	cardH    = 26.0
	cardPad  = 3.5
	cardW    = (contentW - (cardCols-1)*cardGap) / cardCols
)

// cards draws a grid of KPI cards: name, value, change against the previous period
// with an arrow coloured by whether the change is good news, and the target status.
func (d *pdfDoc) cards(title string, ids []string) error {
	d.sectionTitle(title, cardH)
	for i, id := range ids {
		r, ok := d.rep.KPI(id)
		if !ok {
			return fmt.Errorf("%w: %s: the report has no KPI %q", ErrTemplate, d.t.File, id)
		}
		c := i % cardCols
		if c == 0 && i > 0 {
			d.y += cardH + cardGap
		}
		if c == 0 {
			d.ensure(cardH)
		}
		d.card(marginX+float64(c)*(cardW+cardGap), d.y, r)
	}
	if len(ids) > 0 {
		d.y += cardH
	}
	return nil
}

// direction returns the colour of a change: good news green, bad news red, none grey.
func direction(r kpi.Result) (rgb, int) {
	if !r.Change.OK() || r.Change.V.Sign() == 0 {
		return faintColor, 0
	}
	sign := r.Change.V.Sign()
	good := (sign > 0) == (r.Def.Better == kpi.HigherIsBetter)
	if good {
		return goodColor, sign
	}
	return badColor, sign
}

func statusColor(s kpi.Status) rgb {
	switch s {
	case kpi.StatusMet:
		return goodColor
	case kpi.StatusNear:
		return nearColor
	}
	return badColor
}

// card draws the card of r at x, y.
func (d *pdfDoc) card(x, y float64, r kpi.Result) {
	pdf := d.pdf
	d.fillColor(cardColor)
	d.drawColor(ruleColor)
	pdf.SetLineWidth(0.25)
	pdf.RoundedRect(x, y, cardW, cardH, 1.6, "1234", "FD")
	inner := cardW - 2*cardPad
	left := x + cardPad

	// Status pill, top right.
	pillW := 0.0
	if status := d.t.statusLabel(d.lang, r.Status); status != "" {
		d.font("B", 6.3)
		pillW = pdf.GetStringWidth(status) + 3.2
		c := statusColor(r.Status)
		d.fillColor(c)
		pdf.RoundedRect(x+cardW-cardPad-pillW, y+2.6, pillW, 3.9, 1.2, "1234", "F")
		d.textColor(whiteColor)
		d.text(x+cardW-cardPad-pillW+1.6, y+5.35, status)
		pillW += 1.5
	}

	// Name: one line, or two in a smaller size.
	name := r.Def.Name(d.lang)
	d.textColor(mutedColor)
	nameW := inner - pillW
	if d.fit("B", 7.6, 6.8, name, nameW) {
		d.text(left, y+5.4, name)
	} else {
		d.font("B", 6.8)
		ls := d.lines(name, nameW)
		for i, l := range ls[:min(2, len(ls))] {
			d.text(left, y+5.0+float64(i)*2.9, l)
		}
	}

	// Value.
	value := d.loc.Value(r.Value, r.Def.Unit)
	if r.Value.OK() {
		d.textColor(inkColor)
		d.fit("B", 15, 10, value, inner)
	} else {
		d.textColor(faintColor)
		d.font("B", 15)
	}
	d.text(left, y+14.8, value)

	// Change against the previous period.
	lineY := y + 19.9
	if !r.Value.OK() {
		d.font("I", 6.8)
		d.textColor(mutedColor)
		for i, l := range d.lines(r.Value.Reason.Text(d.lang), inner) {
			if i == 2 {
				break
			}
			d.text(left, lineY+float64(i)*3.0, l)
		}
		return
	}
	c, sign := direction(r)
	tx := left
	if sign != 0 {
		d.fillColor(c)
		d.arrow(left+1.3, lineY-1.15, sign)
		tx += 3.6
	}
	change := changeText(d.loc, r)
	if !r.Change.OK() {
		change = d.loc.NA()
	}
	d.textColor(c)
	d.fit("B", 7.2, 6.2, change, inner-(tx-left))
	d.text(tx, lineY, change)
	cw := pdf.GetStringWidth(change)
	prev := d.t.label(d.lang, "vs_previous", "value", d.loc.Value(r.Previous, r.Def.Unit))
	d.font("", 6.8)
	d.textColor(faintColor)
	if tx+cw+2+pdf.GetStringWidth(prev) <= left+inner {
		d.text(tx+cw+2, lineY, prev)
	}

	// Last line: the target, the sales count, or why there is no change.
	var note string
	switch {
	case r.Target != nil:
		note = d.t.label(d.lang, "target", "value", d.loc.Rat(r.Target, r.Def.Unit))
	case r.Def.ID == kpi.IDSales:
		note = d.t.label(d.lang, "sales_count_note", "count", d.loc.Int(d.rep.Current.SalesCount))
	case !r.Change.OK():
		note = r.Change.Reason.Text(d.lang)
	}
	if note != "" {
		d.font("", 6.6)
		d.textColor(mutedColor)
		d.text(left, lineY+3.4, d.ellipsis(note, inner))
	}
}

// arrow draws a filled triangle centred on x, y pointing up (sign > 0) or down.
func (d *pdfDoc) arrow(x, y float64, sign int) {
	const w, h = 2.4, 2.1
	tip, base := y-h/2, y+h/2
	if sign < 0 {
		tip, base = base, tip
	}
	d.pdf.Polygon([]fpdf.PointType{{X: x - w/2, Y: base}, {X: x + w/2, Y: base}, {X: x, Y: tip}}, "F")
}
