package reports

import (
	"fmt"
	"math"

	"github.com/kpireport/kpireport/kpi"
)

// Chart grid geometry in mm.
const (
	chartGap = 6.0
	chartH   = 56.0
	chartW   = (contentW - chartGap) / 2
)

// charts draws the 12-period trend of each KPI, two charts per row.
func (d *pdfDoc) charts(title string, ids []string) error {
	// Keep the charts together when they fit on a page.
	rows := float64((len(ids) + 1) / 2)
	if h := 9 + rows*chartH + (rows-1)*chartGap; d.y+h > contentBot && runningTop+h <= contentBot {
		d.newPage()
	}
	d.sectionTitle(title, chartH)
	for i, id := range ids {
		r, ok := d.rep.KPI(id)
		if !ok {
			return fmt.Errorf("%w: %s: the report has no KPI %q", ErrTemplate, d.t.File, id)
		}
		c := i % 2
		if c == 0 && i > 0 {
			d.y += chartH + chartGap
		}
		if c == 0 {
			d.ensure(chartH)
		}
		d.chart(marginX+float64(c)*(chartW+chartGap), d.y, chartW, chartH, r)
	}
	if len(ids) > 0 {
		d.y += chartH
	}
	return nil
}

// barChart reports whether a KPI's trend is drawn as columns (amounts booked per
// period and counts) rather than a line.
func barChart(def kpi.Def) bool { return def.ID == kpi.IDBookings || def.Unit == kpi.Count }

// chart draws the trend of r in the box x, y, w, h.
func (d *pdfDoc) chart(x, y, w, h float64, r kpi.Result) {
	pdf := d.pdf
	d.fillColor(whiteColor)
	d.drawColor(ruleColor)
	pdf.SetLineWidth(0.25)
	pdf.RoundedRect(x, y, w, h, 1.6, "1234", "FD")

	// Title and the latest value.
	value := d.loc.Value(r.Value, r.Def.Unit)
	d.font("B", 8.5)
	d.textColor(accentColor)
	d.textRight(x+w-3.5, y+6, value)
	valueW := d.width(value)
	d.textColor(inkColor)
	d.fit("B", 8.5, 7, r.Def.Name(d.lang), w-7-valueW-3)
	d.text(x+3.5, y+6, d.ellipsis(r.Def.Name(d.lang), w-7-valueW-3))

	// Scale.
	n := len(r.Trend)
	vals := make([]float64, n)
	ok := make([]bool, n)
	bars := barChart(r.Def)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range r.Trend {
		if p.Value.OK() {
			vals[i], ok[i] = p.Value.Float64(), true
			lo, hi = math.Min(lo, vals[i]), math.Max(hi, vals[i])
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 0
	}
	// Columns stand on zero; a line shows its range, from zero when that is near.
	if bars || lo > 0 && lo < hi/3 || hi < 0 && hi > lo/3 {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	lo, hi, step := niceScale(lo, hi, 4)

	// Axis labels decide the plot's left edge.
	d.font("", 6)
	labelW := 0.0
	var ticks []float64
	for v := lo; v <= hi+step/2; v += step {
		ticks = append(ticks, v)
		labelW = math.Max(labelW, d.width(axisLabel(d.loc, v, step, r.Def.Unit)))
	}
	left, right := x+3.5+labelW+1.5, x+w-3.5
	top, bottom := y+11, y+h-10
	yOf := func(v float64) float64 { return bottom - (v-lo)/(hi-lo)*(bottom-top) }

	pdf.SetLineWidth(0.15)
	for _, v := range ticks {
		ty := yOf(v)
		d.drawColor(ruleColor)
		if v == 0 && lo < 0 {
			d.drawColor(faintColor)
		}
		pdf.Line(left, ty, right, ty)
		d.textColor(mutedColor)
		d.textRight(left-1.5, ty+0.8, axisLabel(d.loc, v, step, r.Def.Unit))
	}

	// Period labels: the tick, and the year under the first and where it changes.
	slot := (right - left) / float64(max(n, 1))
	xOf := func(i int) float64 { return left + slot*(float64(i)+0.5) }
	for i, p := range r.Trend {
		d.font("", 5.8)
		d.textColor(mutedColor)
		d.textCenter(xOf(i), bottom+3.6, periodTick(d.lang, p.Period))
		if i == 0 || p.Period.Year != r.Trend[i-1].Period.Year {
			d.font("", 5.6)
			d.textColor(faintColor)
			d.textCenter(xOf(i), bottom+6.6, itoa(p.Period.Year))
		}
	}

	d.noData(r.Trend, xOf(0)-slot/2, slot, top, bottom)

	if bars {
		bw := slot * 0.62
		for i := range vals {
			if !ok[i] {
				continue
			}
			c := barColor
			if i == n-1 {
				c = accentColor
			}
			d.fillColor(c)
			y0, y1 := yOf(0), yOf(vals[i])
			pdf.Rect(xOf(i)-bw/2, math.Min(y0, y1), bw, math.Abs(y1-y0), "F")
		}
		return
	}
	d.drawColor(accentColor)
	pdf.SetLineWidth(0.55)
	pdf.SetLineCapStyle("round")
	pdf.SetLineJoinStyle("round")
	for i := 1; i < n; i++ {
		if ok[i-1] && ok[i] {
			pdf.Line(xOf(i-1), yOf(vals[i-1]), xOf(i), yOf(vals[i]))
		}
	}
	pdf.SetLineCapStyle("butt")
	pdf.SetLineJoinStyle("miter")
	d.fillColor(whiteColor)
	pdf.SetLineWidth(0.35)
	for i := range vals {
		if !ok[i] {
			continue
		}
		if i == n-1 {
			d.fillColor(accentColor)
			pdf.Circle(xOf(i), yOf(vals[i]), 1.0, "FD")
			continue
		}
		pdf.Circle(xOf(i), yOf(vals[i]), 0.65, "FD")
	}
}

// noData marks the periods at the start of a trend that come before the data starts:
// they have no column or point (not a zero), and a light band with "no data" over
// them says why. left is the left edge of the first period's slot.
func (d *pdfDoc) noData(trend []kpi.Point, left, slot, top, bottom float64) {
	n := 0
	for n < len(trend) && trend[n].Value.Reason == kpi.BeforeData {
		n++
	}
	if n == 0 {
		return
	}
	w := slot * float64(n)
	d.fillColor(stripeColor)
	d.pdf.Rect(left, top, w, bottom-top, "F")
	label := d.t.label(d.lang, "chart_no_data")
	d.font("I", 6)
	if d.width(label) > w-1 {
		return
	}
	d.textColor(faintColor)
	d.textCenter(left+w/2, (top+bottom)/2+1, label)
}

// niceScale returns an axis from lo to hi with about ticks steps of 1, 2, 2.5 or 5
// times a power of ten that holds [min, max].
func niceScale(min, max float64, ticks int) (lo, hi, step float64) {
	if max-min <= 0 {
		if max == 0 {
			return 0, 1, 0.25
		}
		min, max = math.Min(0, min), math.Max(0, max)
	}
	raw := (max - min) / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	lo = math.Floor(min/step) * step
	hi = math.Ceil(max/step) * step
	if hi == lo {
		hi = lo + step
	}
	return lo, hi, step
}
