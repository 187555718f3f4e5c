package reports

import (
	"fmt"

	"github.com/go-pdf/fpdf"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
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

// direction returns the colour of a change and its sign: good news green, bad news
// red, none grey. A change that shows as zero ("0.0 pp") has none.
func direction(r kpi.Result) (rgb, int) {
	if !r.Change.OK() || locale.ChangeRoundsToZero(r.Change.V, r.Def.Unit) {
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
	case kpi.StatusInProgress:
		return mutedColor
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
		pillW = d.width(status) + 3.2
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
		for i, l := range d.lines(d.t.labels.Reason(d.lang, r.Value.Reason), inner) {
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
	prev := d.t.label(d.lang, "vs_previous", "value", d.loc.Value(r.Previous, r.Def.Unit))
	l := d.changeLayout(change, prev, left+inner-tx)
	d.textColor(c)
	d.font("B", l.changeSize)
	d.text(tx, lineY, change)
	if l.together {
		d.font("", l.prevSize)
		d.textColor(faintColor)
		d.text(tx+l.prevX, lineY, prev)
	}

	// Last line: the previous value when it did not fit beside the change, then the
	// target, the sales count, or why there is no change.
	var note string
	switch {
	case r.Target != nil:
		note = d.t.label(d.lang, "target", "value", d.loc.Rat(r.Target, r.Def.Unit))
	case r.Def.ID == kpi.IDSales:
		note = d.t.salesCountNote(d.lang, d.loc, d.rep.Current.SalesCount)
	case !r.Change.OK():
		note = d.t.labels.Reason(d.lang, r.Change.Reason)
	}
	if !l.together {
		// The previous value is never cut short; the note after it may be.
		last := prev
		if note != "" {
			last += cardSep + note
		}
		d.fit("", cardNoteSize, cardMinSize, last, inner)
		d.textColor(faintColor)
		d.text(left, lineY+3.4, prev)
		if note == "" {
			return
		}
		at := left + d.width(prev)
		d.textColor(mutedColor)
		d.text(at, lineY+3.4, d.ellipsis(cardSep+note, left+inner-at))
		return
	}
	if note != "" {
		d.font("", cardNoteSize)
		d.textColor(mutedColor)
		d.text(left, lineY+3.4, d.ellipsis(note, inner))
	}
}

// Type sizes of a card's last two lines, in points.
const (
	cardChangeSize = 7.2  // the change
	cardPrevSize   = 6.8  // the previous value beside it
	cardShrink     = 0.88 // the change line shrinks to this share of its size to fit
	cardNoteSize   = 6.6  // the last line: target, sales count or reason
	cardMinSize    = 5.6  // the last line, and a change alone, shrink to this to fit
	cardSep        = " · "
)

// changeLine is how a card's change and previous value are set.
type changeLine struct {
	changeSize float64 // the change's size in points (bold)
	together   bool    // the previous value fits beside the change
	prevSize   float64 // its size when together
	prevX      float64 // where it starts, from the change's start in mm, when together
}

// changeLayout sets the change and, beside it, the previous value in w mm: both
// smaller, down to cardShrink of their size, when that makes them fit. When they do
// not fit together the change keeps the line, as large as fits, and the previous
// value goes to the card's last line.
func (d *pdfDoc) changeLayout(change, prev string, w float64) changeLine {
	for s := 1.0; s >= cardShrink-1e-9; s -= 0.02 {
		d.font("B", s*cardChangeSize)
		cw := d.width(change)
		d.font("", s*cardPrevSize)
		gap := 2 * s
		if cw+gap+d.width(prev) <= w {
			return changeLine{changeSize: s * cardChangeSize, together: true, prevSize: s * cardPrevSize, prevX: cw + gap}
		}
	}
	d.fit("B", cardChangeSize, cardMinSize, change, w)
	size, _ := d.pdf.GetFontSize()
	return changeLine{changeSize: size}
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
