package reports

import (
	"archive/zip"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
	"github.com/kpireport/kpireport/period"
)

// RenderXLSX writes rep as an Excel workbook to w, laid out by t (nil: the built-in
// template of the report's period kind). The sheets are Summary, Measures, Trend, By
// rep, By region and Definitions (named in the report language). Every figure is a
// number cell with a number format for its unit; n/a is an empty cell with the reason
// beside it. The Summary's KPIs are formulas over the Measures sheet, stored with the
// engine's values as their cached results.
func RenderXLSX(w io.Writer, rep *kpi.Report, t *Template) error {
	t, err := prepare(rep, t)
	if err != nil {
		return err
	}
	b := newWorkbook(rep, t)
	defer b.f.Close()
	for _, step := range []func() error{b.summary, b.measures, b.trend, b.byRep, b.byRegion, b.definitions, b.properties} {
		if err := step(); err != nil {
			return fmt.Errorf("render xlsx: %w", err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	out, err := stableXLSX(buf.Bytes())
	if err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("render xlsx: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// defaultTypes matches the <Default> elements of [Content_Types].xml.
var (
	defaultType  = regexp.MustCompile(`<Default [^>]*(?:/>|></Default>)`)
	defaultTypes = regexp.MustCompile(`(?:<Default [^>]*(?:/>|></Default>))+`)
)

// stableXLSX returns the workbook b with its parts in a fixed order ([Content_Types].xml
// first, then by name) and the <Default> content types sorted: excelize writes both
// in map order, which differs from run to run, and the same report must give the same
// bytes. The parts are copied as they are (compressed data too); their entries carry
// no time.
func stableXLSX(b []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int {
		return cmp.Or(-cmp.Compare(boolInt(a.Name == "[Content_Types].xml"), boolInt(b.Name == "[Content_Types].xml")),
			strings.Compare(a.Name, b.Name))
	})
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range files {
		if f.Name != "[Content_Types].xml" {
			raw, err := f.OpenRaw()
			if err != nil {
				return nil, err
			}
			w, err := zw.CreateRaw(&f.FileHeader)
			if err != nil {
				return nil, err
			}
			if _, err := io.Copy(w, raw); err != nil {
				return nil, err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		xml, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		xml = defaultTypes.ReplaceAllFunc(xml, func(m []byte) []byte {
			elems := defaultType.FindAll(m, -1)
			slices.SortFunc(elems, bytes.Compare)
			return bytes.Join(elems, nil)
		})
		hdr := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(xml); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// prepare checks what every renderer needs and returns the template to use.
func prepare(rep *kpi.Report, t *Template) (*Template, error) {
	if rep.Lang != "en" && rep.Lang != "nl" {
		return nil, fmt.Errorf("%w: %q (want en or nl)", ErrLanguage, rep.Lang)
	}
	if len(rep.KPIs) == 0 {
		return nil, fmt.Errorf("reports: the report has no KPIs")
	}
	if t == nil {
		return defaultTemplate(rep.Period.Kind)
	}
	return t, nil
}

// Colours of the workbook and the PDF.
const (
	colorAccent = "1F4E79"
	colorMuted  = "5B6573"
	colorRule   = "D5DBE3"
	colorStripe = "F3F6F9"
)

// The layout of the Summary sheet.
const (
	summaryHeaderRow = 5 // the column titles; the KPIs follow
	measuresFirstRow = 2 // the first measure of the Measures sheet
	trendFirstRow    = 2 // the oldest period of the Trend sheet
)

// Columns of the Measures sheet holding the periods.
const (
	colCurrent  = "C"
	colPrevious = "D"
	colYearAgo  = "E"
)

type workbook struct {
	f      *excelize.File
	rep    *kpi.Report
	t      *Template
	lang   string
	loc    locale.Format
	styles map[string]int
	sheets map[string]string // label key → sheet name
}

func newWorkbook(rep *kpi.Report, t *Template) *workbook {
	b := &workbook{
		f:      excelize.NewFile(),
		rep:    rep,
		t:      t,
		lang:   rep.Lang,
		loc:    locale.New(rep.Lang, rep.Currency),
		styles: make(map[string]int),
		sheets: make(map[string]string),
	}
	// Arial (or a metric twin such as Liberation Sans) is on every office system.
	_ = b.f.SetDefaultFont("Arial")
	for _, key := range []string{"sheet_summary", "sheet_measures", "sheet_trend", "sheet_by_rep", "sheet_by_region", "sheet_definitions"} {
		b.sheets[key] = t.label(rep.Lang, key)
	}
	return b
}

func (b *workbook) label(key string, kv ...string) string { return b.t.label(b.lang, key, kv...) }

// newSheet creates (or, for the first, renames the default) sheet of label key.
func (b *workbook) newSheet(key string) (string, error) {
	name := b.sheets[key]
	if key == "sheet_summary" {
		return name, b.f.SetSheetName("Sheet1", name)
	}
	_, err := b.f.NewSheet(name)
	return name, err
}

// ref returns a reference to cell col,row of sheet, quoted for formulas.
func ref(sheet, col string, row int) string {
	return "'" + strings.ReplaceAll(sheet, "'", "''") + "'!" + col + itoa(row)
}

func col(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

// style returns the id of a cell style made once per workbook by mk.
func (b *workbook) style(key string, mk func() *excelize.Style) int {
	if id, ok := b.styles[key]; ok {
		return id
	}
	id, err := b.f.NewStyle(mk())
	if err != nil {
		panic(err) // the styles below are constants; an error is a bug
	}
	b.styles[key] = id
	return id
}

var (
	ruleBorder = []excelize.Border{{Type: "bottom", Color: colorRule, Style: 1}}
	textFmt    = 49 // "@": text, never a formula
)

func (b *workbook) titleStyle() int {
	return b.style("title", func() *excelize.Style {
		return &excelize.Style{NumFmt: textFmt, Font: xfont(excelize.Font{Bold: true, Size: 16, Color: colorAccent})}
	})
}

func (b *workbook) subtitleStyle() int {
	return b.style("subtitle", func() *excelize.Style {
		return &excelize.Style{NumFmt: textFmt, Font: xfont(excelize.Font{Size: 11, Color: colorMuted})}
	})
}

func (b *workbook) headerStyle(right bool) int {
	if right {
		return b.headerAligned("right", 0)
	}
	return b.headerAligned("left", 0)
}

// headerAligned is a header cell aligned h, indented indent characters.
func (b *workbook) headerAligned(h string, indent int) int {
	return b.style(fmt.Sprintf("header-%s-%d", h, indent), func() *excelize.Style {
		return &excelize.Style{
			NumFmt:    textFmt,
			Font:      xfont(excelize.Font{Bold: true, Color: "FFFFFF"}),
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colorAccent}},
			Alignment: &excelize.Alignment{Horizontal: h, Vertical: "center", WrapText: true, Indent: indent},
		}
	})
}

// textStyle is for text from data and labels: stored as text, so "=SUM(A1)" stays text.
func (b *workbook) textStyle(kind string) int {
	return b.style("text-"+kind, func() *excelize.Style {
		s := &excelize.Style{NumFmt: textFmt, Border: ruleBorder, Alignment: &excelize.Alignment{Vertical: "top"}}
		switch kind {
		case "bold":
			s.Font = xfont(excelize.Font{Bold: true})
		case "note":
			s.Font = xfont(excelize.Font{Italic: true, Color: colorMuted})
			s.Alignment.WrapText = true // a KPI n/a in three periods has a long note
		case "wrap":
			s.Alignment.WrapText = true
		case "status":
			s.Alignment.Horizontal, s.Alignment.Indent = "left", 1
		case "key":
			s.Font = xfont(excelize.Font{Color: colorMuted})
		case "total":
			s.Font = xfont(excelize.Font{Bold: true})
			s.Border = []excelize.Border{{Type: "top", Color: colorAccent, Style: 1}}
		}
		return s
	})
}

// numStyle is for a number in format code; total rows are bold with a rule above.
func (b *workbook) numStyle(code string, total bool) int {
	return b.style(fmt.Sprintf("num-%t-%s", total, code), func() *excelize.Style {
		s := &excelize.Style{CustomNumFmt: &code, Border: ruleBorder, Alignment: &excelize.Alignment{Vertical: "top"}}
		if total {
			s.Font = xfont(excelize.Font{Bold: true})
			s.Border = []excelize.Border{{Type: "top", Color: colorAccent, Style: 1}}
		}
		return s
	})
}

// xfont returns f in the workbook's font, Arial, 11 pt unless f sets a size.
func xfont(f excelize.Font) *excelize.Font {
	f.Family = "Arial"
	if f.Size == 0 {
		f.Size = 11
	}
	return &f
}

// text returns a text cell. Data text keeps its characters but loses control
// characters; it is stored as a string with the text format, never as a formula.
func (b *workbook) text(s string, style int) excelize.Cell {
	return excelize.Cell{StyleID: style, Value: cleanText(s)}
}

// num returns a number cell of exact value r, converted to float64 only here.
func num(r *big.Rat, style int) excelize.Cell {
	f, _ := r.Float64()
	return excelize.Cell{StyleID: style, Value: f}
}

// formula returns a formula cell with the engine's value r as its cached result.
func formula(expr string, r *big.Rat, style int) excelize.Cell {
	f, _ := r.Float64()
	return excelize.Cell{StyleID: style, Formula: expr, Value: f}
}

// empty returns an empty cell that keeps the row's borders.
func empty(style int) excelize.Cell { return excelize.Cell{StyleID: style} }

// printSetup sets landscape A4 fitted to one page wide, with a footer naming the
// company, the sheet and the page.
func (b *workbook) printSetup(sheet string) error {
	a4, landscape, one, zero := 9, "landscape", 1, 0
	fit := true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	margin := 0.5
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &margin, Right: &margin, Top: &margin, Bottom: &margin}); err != nil {
		return err
	}
	esc := func(s string) string { return strings.ReplaceAll(cleanText(s), "&", "&&") }
	page := strings.NewReplacer("{n}", "&P", "{m}", "&N").Replace(esc(b.label("page_n_of_m", "n", "{n}", "m", "{m}")))
	footer := "&L" + esc(b.rep.Company) + " · " + esc(sheet) + "&R" + page
	if len(footer) > 255 {
		footer = "&R&P / &N"
	}
	return b.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: footer})
}

// titleRows writes the company, title and period above a sheet's table.
func (b *workbook) titleRows(sw *excelize.StreamWriter, subtitle string) error {
	title, err := b.t.Title(b.rep)
	if err != nil {
		return err
	}
	f := b.loc
	rows := [][]any{
		{b.text(b.rep.Company, b.titleStyle())},
		{b.text(title+" · "+f.Period(b.rep.Period), b.subtitleStyle())},
		{b.text(subtitle, b.subtitleStyle())},
	}
	for i, r := range rows {
		opts := []excelize.RowOpts{}
		if i == 0 {
			opts = append(opts, excelize.RowOpts{Height: 24})
		}
		if err := sw.SetRow("A"+itoa(i+1), r, opts...); err != nil {
			return err
		}
	}
	return nil
}

// summary writes the Summary sheet: one row per KPI with its value, previous value,
// change, year-ago value, target and status.
func (b *workbook) summary() error {
	sheet, err := b.newSheet("sheet_summary")
	if err != nil {
		return err
	}
	ids := b.t.Workbook.Summary
	first, last := summaryHeaderRow+1, summaryHeaderRow+len(ids)
	if err := b.f.AutoFilter(sheet, fmt.Sprintf("A%d:J%d", summaryHeaderRow, last), nil); err != nil {
		return err
	}
	if err := b.printSetup(sheet); err != nil {
		return err
	}
	if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, summaryHeaderRow, summaryHeaderRow), Scope: sheet}); err != nil {
		return err
	}
	if err := b.statusFormats(sheet, fmt.Sprintf("H%d:H%d", first, last)); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: summaryHeaderRow, TopLeftCell: "B" + itoa(first), ActivePane: "bottomRight"}); err != nil {
		return err
	}
	widths := summaryWidths
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	rangeText := b.label("period_range", "start", b.loc.Date(b.rep.Start), "end", b.loc.Date(lastDay(b.rep)))
	if b.rep.Incomplete() {
		rangeText = toDateText(b.t, b.rep, b.loc)
	}
	// No generation time: it would make every render's bytes differ (the ledger
	// records when a run happened).
	if err := b.titleRows(sw, rangeText); err != nil {
		return err
	}
	if q := b.rep.Quality; q != nil {
		f := b.loc
		text := q.FormatSummary(f)
		if !q.Passed() {
			text += " " + q.FormatReasons(f) + "."
		}
		// The note spans the whole table (A:J, merged) and its row is as tall as the
		// wrapped text, so it neither hides in a narrow cell nor runs into the header.
		total := 0.0
		for _, w := range widths {
			total += w
		}
		height := rowLineHeight * float64(max(wrappedLines(text, total), 1))
		if err := sw.SetRow("A4", []any{b.text(text, b.textStyle("note"))}, excelize.RowOpts{Height: height}); err != nil {
			return err
		}
		if err := sw.MergeCell("A4", "J4"); err != nil {
			return err
		}
	}
	header := []any{}
	for i, key := range []string{"col_kpi", "col_value", "col_previous", "col_change", "col_change_pct", "col_year_ago", "col_target", "col_status", "col_note", "col_key"} {
		style := b.headerStyle(i >= 1 && i <= 6)
		if key == "col_status" {
			style = b.headerAligned("left", 1)
		}
		header = append(header, b.text(b.label(key), style))
	}
	if err := sw.SetRow("A"+itoa(summaryHeaderRow), header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	for i, id := range ids {
		r, ok := b.rep.KPI(id)
		if !ok {
			return fmt.Errorf("the report has no KPI %q", id)
		}
		// A row is as tall as its wrapped note, so notes do not run into the next row.
		lines := max(wrappedLines(b.summaryNote(r), widths[8]), 1)
		if err := sw.SetRow("A"+itoa(first+i), b.summaryRow(r, first+i), excelize.RowOpts{Height: rowLineHeight * float64(lines)}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (b *workbook) location() *time.Location {
	if b.rep.Location == nil {
		return time.UTC
	}
	return b.rep.Location
}

// summaryRow returns the cells of KPI r in Summary row n.
func (b *workbook) summaryRow(r kpi.Result, n int) []any {
	u := r.Def.Unit
	valueStyle := b.numStyle(numFmt(b.loc, u), false)
	changeStyle := b.numStyle(changeNumFmt(b.loc, u), false)
	pctStyle := b.numStyle(changePctNumFmt(b.loc), false)
	cell := func(v kpi.Value, measuresCol string) excelize.Cell {
		if !v.OK() {
			return empty(valueStyle)
		}
		if expr, ok := b.kpiFormula(r.Def.ID, measuresCol); ok {
			return formula(expr, v.V, valueStyle)
		}
		return num(v.V, valueStyle)
	}
	row := []any{
		b.text(r.Def.Name(b.lang), b.textStyle("bold")),
		cell(r.Value, colCurrent),
		cell(r.Previous, colPrevious),
		empty(changeStyle),
		empty(pctStyle),
		cell(r.YearAgo, colYearAgo),
		empty(valueStyle),
		b.text(b.t.statusLabel(b.lang, r.Status), b.textStyle("status")),
		b.text(b.summaryNote(r), b.textStyle("note")),
		b.text(r.Def.ID, b.textStyle("key")),
	}
	bn, cn := "B"+itoa(n), "C"+itoa(n)
	if r.Change.OK() && r.Value.OK() && r.Previous.OK() {
		if u == kpi.Ratio {
			row[3] = formula("("+bn+"-"+cn+")*100", new(big.Rat).Mul(r.Change.V, big.NewRat(100, 1)), changeStyle)
		} else {
			row[3] = formula(bn+"-"+cn, r.Change.V, changeStyle)
		}
	}
	if r.ChangeRel.OK() && r.Value.OK() && r.Previous.OK() {
		row[4] = formula("("+bn+"-"+cn+")/ABS("+cn+")", r.ChangeRel.V, pctStyle)
	}
	if r.Target != nil {
		row[6] = num(r.Target, valueStyle)
	}
	return row
}

// summaryNote explains a Summary row: why each empty value, previous value or
// year-ago value is n/a, and the sales count beside gross sales.
func (b *workbook) summaryNote(r kpi.Result) string {
	var parts []string
	for _, n := range b.t.naNotes(b.rep, b.loc, r) {
		parts = append(parts, n.text(b.lang, b.loc))
	}
	if r.Def.ID == kpi.IDSales {
		parts = append(parts, b.t.salesCountNote(b.lang, b.loc, b.rep.Current.SalesCount))
	}
	return strings.Join(parts, "; ")
}

// kpiFormula returns the formula of KPI id over the Measures column of one period
// (colCurrent, colPrevious or colYearAgo), or false for a KPI whose inputs the sheet
// does not hold (CLV needs the trailing twelve months; growth of earlier periods and
// MRR of a week or quarter need other periods).
func (b *workbook) kpiFormula(id, column string) (string, bool) {
	m := func(key string) string {
		return ref(b.sheets["sheet_measures"], column, measuresFirstRow+measureIndex(key))
	}
	switch id {
	case kpi.IDRevenue:
		return m("revenue"), true
	case kpi.IDSales:
		return m("gross_sales"), true
	case kpi.IDCAC:
		return m("spend") + "/" + m("new_customers"), true
	case kpi.IDAvgSalesCycleDays:
		return m("cycle_days") + "/" + m("won_deals"), true
	case kpi.IDSalesGrowth:
		if column != colCurrent {
			return "", false
		}
		prev := ref(b.sheets["sheet_measures"], colPrevious, measuresFirstRow+measureIndex("revenue"))
		return "(" + m("revenue") + "-" + prev + ")/" + prev, true
	case kpi.IDAOV:
		return m("revenue") + "/" + m("sales_count"), true
	case kpi.IDARPC:
		return m("revenue") + "/" + m("buyers"), true
	case kpi.IDPipelineVelocity:
		return m("won_value") + "/(" + m("cycle_days") + "/" + m("won_deals") + ")", true
	case kpi.IDChurnRate:
		return m("customers_lost") + "/" + m("customers_start"), true
	case kpi.IDRetentionRate:
		return "(" + m("customers_start") + "-" + m("customers_lost") + ")/" + m("customers_start"), true
	case kpi.IDMRR:
		if b.rep.Period.Kind != period.Month {
			return "", false
		}
		return m("recurring_revenue"), true
	case kpi.IDProfitMargin:
		return "(" + m("revenue") + "-" + m("cost") + ")/" + m("revenue"), true
	case kpi.IDLeadConversionRate:
		return m("leads_converted") + "/" + m("leads_created"), true
	case kpi.IDBookings:
		return m("won_value"), true
	case kpi.IDUpsellCrossSell:
		return m("expansion_revenue"), true
	case kpi.IDQualifiedLeads:
		return m("qualified_leads"), true
	case kpi.IDSalesCalls:
		return m("sales_calls"), true
	}
	return "", false
}

// statusFormats colours the status cells of ref: met green, near amber, missed red.
func (b *workbook) statusFormats(sheet, rangeRef string) error {
	var opts []excelize.ConditionalFormatOptions
	for _, s := range []struct {
		status     kpi.Status
		font, fill string
	}{
		{kpi.StatusMet, "006100", "C6EFCE"},
		{kpi.StatusNear, "9C5700", "FFEB9C"},
		{kpi.StatusMissed, "9C0006", "FFC7CE"},
	} {
		id, err := b.f.NewConditionalStyle(&excelize.Style{
			Font: xfont(excelize.Font{Color: s.font, Bold: true}),
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{s.fill}},
		})
		if err != nil {
			return err
		}
		label := strings.ReplaceAll(b.t.statusLabel(b.lang, s.status), `"`, `""`)
		opts = append(opts, excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: `"` + label + `"`, Format: &id})
	}
	return b.f.SetConditionalFormat(sheet, rangeRef, opts)
}

// measures writes the Measures sheet: the base measures of the period, the previous
// period and the year-ago period, which the Summary's formulas use.
func (b *workbook) measures() error {
	sheet, err := b.newSheet("sheet_measures")
	if err != nil {
		return err
	}
	if err := b.printSetup(sheet); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	for i, w := range []float64{32, 22, 18, 18, 18, 60, 40} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	p := b.rep.Period
	header := []any{
		b.text(b.label("col_measure"), b.headerStyle(false)),
		b.text(b.label("col_key"), b.headerStyle(false)),
		b.text(b.loc.Period(p), b.headerStyle(true)),
		b.text(b.loc.Period(p.Prev()), b.headerStyle(true)),
		b.text(b.loc.Period(p.YearAgo()), b.headerStyle(true)),
		b.text(b.label("col_definition"), b.headerStyle(false)),
		b.text(b.label("col_note"), b.headerStyle(false)),
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	moneyStyle := b.numStyle(numFmt(b.loc, kpi.Money), false)
	countStyle := b.numStyle(numFmt(b.loc, kpi.Count), false)
	for i, ms := range measures {
		style := countStyle
		if ms.money {
			style = moneyStyle
		}
		def := b.t.defs.Measure[ms.key][b.lang]
		row := []any{b.text(def.Name, b.textStyle("bold")), b.text(ms.key, b.textStyle("key"))}
		note := ""
		for _, m := range []*kpi.Measures{&b.rep.Current, &b.rep.Previous, &b.rep.YearAgo} {
			if ms.available(b.rep.Has) {
				row = append(row, num(ms.value(m), style))
			} else {
				row = append(row, empty(style))
				note = b.t.labels.Reason(b.lang, ms.missing())
			}
		}
		row = append(row, b.text(def.Definition, b.textStyle("")), b.text(note, b.textStyle("note")))
		if err := sw.SetRow("A"+itoa(measuresFirstRow+i), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// The Trend sheet's layout: column widths in characters, chart sizes in pixels.
const (
	trendPeriodWidth = 14.0
	trendValueWidth  = 17.0
	trendChartW      = 560
	trendChartH      = 300
	trendChartGap    = 16
)

// trendChart is one chart of the Trend sheet.
type trendChart struct {
	typ excelize.ChartType
	ids []string
}

// trendCharts returns the Trend sheet's charts: a line chart of each KPI of the
// template's line_chart, each on its own scale (MRR is a fraction of revenue and
// would be a flat line on revenue's axis), then a column chart of its column_chart.
func (b *workbook) trendCharts() []trendChart {
	var charts []trendChart
	for _, id := range b.t.Workbook.LineChart {
		charts = append(charts, trendChart{excelize.Line, []string{id}})
	}
	if len(b.t.Workbook.ColumnChart) > 0 {
		charts = append(charts, trendChart{excelize.Col, b.t.Workbook.ColumnChart})
	}
	return charts
}

// trend writes the Trend sheet: the last 12 periods of each KPI, with native charts
// of them side by side below the table.
func (b *workbook) trend() error {
	sheet, err := b.newSheet("sheet_trend")
	if err != nil {
		return err
	}
	ids := b.t.Workbook.Trend
	if err := b.printSetup(sheet); err != nil {
		return err
	}
	var points []kpi.Point
	if r, ok := b.rep.KPI(ids[0]); ok {
		points = r.Trend
	}
	lastRow := trendFirstRow + len(points) - 1
	chartRow := lastRow + 3
	columnOf := func(id string) (string, bool) {
		for i, x := range ids {
			if x == id {
				return col(i + 2), true
			}
		}
		return "", false
	}
	// The column widths come first: a chart's anchor cells are worked out from them.
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, trendPeriodWidth); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, len(ids)+1, trendValueWidth); err != nil {
		return err
	}
	colPx := func(c int) (int, error) { // as excelize places a chart: 8 pixels a character
		w, err := b.f.GetColWidth(sheet, col(c))
		return int(w*8 + 0.5), err
	}
	at := 1 // the column of the next chart
	for _, c := range b.trendCharts() {
		var series []excelize.ChartSeries
		var names []string
		var unit kpi.Unit
		for _, id := range c.ids {
			column, ok := columnOf(id)
			if !ok {
				continue
			}
			r, _ := b.rep.KPI(id)
			if unit == "" {
				unit = r.Def.Unit
			}
			names = append(names, r.Def.Name(b.lang))
			series = append(series, excelize.ChartSeries{
				Name:       ref(sheet, "$"+column, 1),
				Categories: fmt.Sprintf("%s:$A$%d", ref(sheet, "$A", trendFirstRow), lastRow),
				Values:     fmt.Sprintf("%s:$%s$%d", ref(sheet, "$"+column, trendFirstRow), column, lastRow),
				Marker:     excelize.ChartMarker{Symbol: "circle", Size: 5},
			})
		}
		if len(series) == 0 {
			continue
		}
		legend := excelize.ChartLegend{Position: "bottom"}
		if len(series) == 1 {
			legend.Position = "none" // the title names the one series
		}
		chart := &excelize.Chart{
			Type:         c.typ,
			Series:       series,
			Title:        excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: cleanText(strings.Join(names, " · ")), Font: xfont(excelize.Font{Bold: true, Size: 12})}}},
			Legend:       legend,
			Dimension:    excelize.ChartDimension{Width: trendChartW, Height: trendChartH},
			YAxis:        excelize.ChartAxis{MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: numFmt(b.loc, unit)}},
			Format:       excelize.GraphicOptions{OffsetX: 4, OffsetY: 4},
			ShowBlanksAs: "gap",
		}
		if err := b.f.AddChart(sheet, col(at)+itoa(chartRow), chart); err != nil {
			return err
		}
		// The next chart starts in the first column right of this one and the gap.
		for px := 4 + trendChartW + trendChartGap; px > 0; at++ {
			w, err := colPx(at)
			if err != nil {
				return err
			}
			px -= w
		}
	}
	header := []any{b.text(b.label("col_period"), b.headerStyle(false))}
	results := make([]kpi.Result, len(ids))
	for i, id := range ids {
		r, ok := b.rep.KPI(id)
		if !ok {
			return fmt.Errorf("the report has no KPI %q", id)
		}
		results[i] = r
		header = append(header, b.text(r.Def.Name(b.lang), b.headerStyle(true)))
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 45}); err != nil {
		return err
	}
	for i, p := range points {
		row := []any{b.text(periodShort(b.lang, p.Period), b.textStyle("bold"))}
		for _, r := range results {
			style := b.numStyle(numFmt(b.loc, r.Def.Unit), false)
			if i < len(r.Trend) && r.Trend[i].Value.OK() {
				row = append(row, num(r.Trend[i].Value.V, style))
			} else {
				row = append(row, empty(style))
			}
		}
		if err := sw.SetRow("A"+itoa(trendFirstRow+i), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// dimColumn is a column of the By rep and By region sheets.
type dimColumn struct {
	label string
	unit  kpi.Unit
	// value returns the cell's exact value, or nil for an empty cell.
	value func(d *kpi.DimMeasures) *big.Rat
	// sum: the total is the column's sum; otherwise formula gives the row's formula
	// from the cells of its row (by label).
	sum     bool
	formula func(cell func(label string) string) string
}

// dimColumns returns the columns of a dimension table; the lead and call columns
// only for reps (leads and calls have a rep, not a region).
func dimColumns(has kpi.Availability, withLeads bool) []dimColumn {
	count := func(f func(d *kpi.DimMeasures) int64, ok bool) func(d *kpi.DimMeasures) *big.Rat {
		return func(d *kpi.DimMeasures) *big.Rat {
			if !ok {
				return nil
			}
			return new(big.Rat).SetInt64(f(d))
		}
	}
	ratio := func(num, den func(d *kpi.DimMeasures) *big.Rat, ok bool) func(d *kpi.DimMeasures) *big.Rat {
		return func(d *kpi.DimMeasures) *big.Rat {
			if !ok {
				return nil
			}
			n, m := num(d), den(d)
			if m.Sign() == 0 {
				return nil
			}
			return new(big.Rat).Quo(n, m)
		}
	}
	revenue := func(d *kpi.DimMeasures) *big.Rat { return d.Revenue.Rat() }
	sales := count(func(d *kpi.DimMeasures) int64 { return d.SalesCount }, true)
	won := count(func(d *kpi.DimMeasures) int64 { return d.WonDeals }, has.Deals)
	cycle := count(func(d *kpi.DimMeasures) int64 { return d.CycleDays }, has.Deals)
	created := count(func(d *kpi.DimMeasures) int64 { return d.LeadsCreated }, has.Leads)
	converted := count(func(d *kpi.DimMeasures) int64 { return d.LeadsConverted }, has.Leads)
	cols := []dimColumn{
		{label: "col_revenue", unit: kpi.Money, value: revenue, sum: true},
		{label: "col_sales_count", unit: kpi.Count, value: sales, sum: true},
		{label: "col_aov", unit: kpi.Money, value: ratio(revenue, sales, true),
			formula: func(c func(string) string) string { return c("col_revenue") + "/" + c("col_sales_count") }},
		{label: "col_bookings", unit: kpi.Money, sum: true, value: func(d *kpi.DimMeasures) *big.Rat {
			if !has.Deals {
				return nil
			}
			return d.WonValue.Rat()
		}},
		{label: "col_won_deals", unit: kpi.Count, value: won, sum: true},
		{label: "col_cycle_days", unit: kpi.Count, value: cycle, sum: true},
		{label: "col_avg_cycle", unit: kpi.Days, value: ratio(cycle, won, has.Deals),
			formula: func(c func(string) string) string { return c("col_cycle_days") + "/" + c("col_won_deals") }},
	}
	if withLeads {
		cols = append(cols,
			dimColumn{label: "col_sales_calls", unit: kpi.Count, value: count(func(d *kpi.DimMeasures) int64 { return d.SalesCalls }, has.Calls), sum: true},
			dimColumn{label: "col_qualified_leads", unit: kpi.Count, value: count(func(d *kpi.DimMeasures) int64 { return d.QualifiedLeads }, has.Leads), sum: true},
			dimColumn{label: "col_leads_created", unit: kpi.Count, value: created, sum: true},
			dimColumn{label: "col_leads_converted", unit: kpi.Count, value: converted, sum: true},
			dimColumn{label: "col_lead_conversion", unit: kpi.Ratio, value: ratio(converted, created, has.Leads),
				formula: func(c func(string) string) string { return c("col_leads_converted") + "/" + c("col_leads_created") }},
		)
	}
	return cols
}

// dimTotal returns the exact total of dims: the sums, and the ratios of the sums.
func dimTotal(dims []kpi.DimMeasures) kpi.DimMeasures {
	var t kpi.DimMeasures
	for _, d := range dims {
		t.Revenue.AddSum(d.Revenue)
		t.SalesCount += d.SalesCount
		t.WonDeals += d.WonDeals
		t.WonValue.AddSum(d.WonValue)
		t.CycleDays += d.CycleDays
		t.SalesCalls += d.SalesCalls
		t.QualifiedLeads += d.QualifiedLeads
		t.LeadsCreated += d.LeadsCreated
		t.LeadsConverted += d.LeadsConverted
	}
	return t
}

func (b *workbook) byRep() error {
	return b.dimSheet("sheet_by_rep", "col_rep", "no_rep", b.rep.ByRep, true)
}

func (b *workbook) byRegion() error {
	return b.dimSheet("sheet_by_region", "col_region", "no_region", b.rep.ByRegion, false)
}

// dimSheet writes the table of one dimension: a row per value, then the total.
func (b *workbook) dimSheet(sheetKey, nameLabel, noneLabel string, dims []kpi.DimMeasures, withLeads bool) error {
	sheet, err := b.newSheet(sheetKey)
	if err != nil {
		return err
	}
	cols := dimColumns(b.rep.Has, withLeads)
	lastCol := col(len(cols) + 1)
	if len(dims) > 0 {
		if err := b.f.AutoFilter(sheet, fmt.Sprintf("A1:%s%d", lastCol, len(dims)+1), nil); err != nil {
			return err
		}
	}
	if err := b.printSetup(sheet); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 30); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, len(cols)+1, 16); err != nil {
		return err
	}
	header := []any{b.text(b.label(nameLabel), b.headerStyle(false))}
	for _, c := range cols {
		header = append(header, b.text(b.label(c.label), b.headerStyle(true)))
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	cellOf := func(row int) func(label string) string {
		return func(label string) string {
			for i, c := range cols {
				if c.label == label {
					return col(i+2) + itoa(row)
				}
			}
			panic("reports: no column " + label)
		}
	}
	row := func(n int, name string, d *kpi.DimMeasures, total bool) []any {
		nameStyle := b.textStyle("bold")
		if total {
			nameStyle = b.textStyle("total")
		}
		cells := []any{b.text(name, nameStyle)}
		for i, c := range cols {
			style := b.numStyle(numFmt(b.loc, c.unit), total)
			v := c.value(d)
			switch {
			case v == nil:
				cells = append(cells, empty(style))
			case c.formula != nil:
				cells = append(cells, formula(c.formula(cellOf(n)), v, style))
			case total && c.sum:
				x := col(i + 2)
				cells = append(cells, formula(fmt.Sprintf("SUM(%s2:%s%d)", x, x, n-1), v, style))
			default:
				cells = append(cells, num(v, style))
			}
		}
		return cells
	}
	if len(dims) == 0 {
		return errors.Join(sw.SetRow("A2", []any{b.text(b.label("no_rows"), b.textStyle("note"))}), sw.Flush())
	}
	for i := range dims {
		name := dims[i].Name
		if name == "" {
			name = b.label(noneLabel)
		}
		if err := sw.SetRow("A"+itoa(i+2), row(i+2, name, &dims[i], false)); err != nil {
			return err
		}
	}
	total := dimTotal(dims)
	n := len(dims) + 2
	if err := sw.SetRow("A"+itoa(n), row(n, b.label("total"), &total, true)); err != nil {
		return err
	}
	return sw.Flush()
}

// definitions writes the Definitions sheet: each KPI's formula, unit, direction and
// when it is n/a, in the report language.
func (b *workbook) definitions() error {
	sheet, err := b.newSheet("sheet_definitions")
	if err != nil {
		return err
	}
	if err := b.printSetup(sheet); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	widths := []float64{40, 26, 70, 22, 12, 48}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	header := []any{}
	for _, key := range []string{"col_kpi", "col_key", "col_formula", "col_unit", "col_better", "col_na_when"} {
		header = append(header, b.text(b.label(key), b.headerStyle(false)))
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	wrap := b.textStyle("wrap")
	for i, def := range kpi.Defs {
		d := b.t.defs.KPI[def.ID][b.lang]
		cells := []any{
			b.text(def.Name(b.lang), b.textStyle("bold")),
			b.text(def.ID, b.textStyle("key")),
			b.text(d.Formula, wrap),
			b.text(b.t.unitLabel(b.lang, b.rep.Currency, def.Unit), wrap),
			b.text(b.t.betterLabel(b.lang, def.Better), wrap),
			b.text(d.NA, wrap),
		}
		lines := max(wrappedLines(d.Formula, widths[2]), wrappedLines(d.NA, widths[5]), 1)
		if err := sw.SetRow("A"+itoa(i+2), cells, excelize.RowOpts{Height: 15 * float64(lines)}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// summaryWidths are the widths of the Summary sheet's columns A–J, in characters.
var summaryWidths = []float64{40, 19, 19, 19, 11, 19, 17, 14, 58, 24}

// rowLineHeight is the height in points of one line of 11 pt text in a row.
const rowLineHeight = 15

// wrappedLines estimates the lines text takes in a column of width characters: it
// wraps at spaces like a spreadsheet does (a word longer than a line is broken), with
// about one character per unit of column width, so the estimate errs on the tall side.
func wrappedLines(text string, width float64) int {
	per := max(int(width), 1)
	lines, used := 0, 0
	for _, para := range strings.Split(text, "\n") {
		lines++
		used = 0
		for _, word := range strings.Fields(para) {
			n := len([]rune(word))
			switch {
			case used == 0:
			case used+1+n <= per:
				used += 1 + n
				continue
			default:
				lines++
			}
			for n > per {
				lines++
				n -= per
			}
			used = n
		}
	}
	return lines
}

// properties sets the document properties and opens the workbook on the Summary.
func (b *workbook) properties() error {
	title, err := b.t.Title(b.rep)
	if err != nil {
		return err
	}
	// From the data, not the clock: the same data gives the same bytes.
	stamp := dataEnd(b.rep).UTC().Format(time.RFC3339)
	b.f.SetActiveSheet(0)
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:    cleanText(b.rep.Company + " · " + title + " · " + b.loc.Period(b.rep.Period)),
		Subject:  b.rep.Period.Label(),
		Creator:  "kpireport",
		Created:  stamp,
		Modified: stamp,
		Language: b.lang,
	})
}
