package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/BurntSushi/toml"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/templates"
)

// Section kinds of a report template, in the order of the built-in templates.
const (
	SectionCards       = "cards"       // a grid of KPI cards
	SectionCharts      = "charts"      // 12-period trend charts of KPIs
	SectionByRep       = "by_rep"      // the table per rep
	SectionByRegion    = "by_region"   // the table per region
	SectionNotes       = "notes"       // every n/a with its reason
	SectionDefinitions = "definitions" // each KPI's formula
	SectionText        = "text"        // a paragraph of the template's own
)

var sectionKinds = []string{SectionCards, SectionCharts, SectionByRep, SectionByRegion, SectionNotes, SectionDefinitions, SectionText}

// Template is a loaded, checked report template: the layout of a report (title, intro,
// sections and the workbook's KPI choices) with the labels and definitions it prints.
// It is read-only after LoadTemplate and safe for concurrent use.
type Template struct {
	Name     string    // the template's name, such as "month"
	File     string    // where its layout came from: "month.toml" (built in) or a path
	Sections []Section // the PDF's sections, in order
	Workbook Workbook

	title, intro localized
	labels       *Labels
	defs         definitions
}

// Section is one section of the PDF.
type Section struct {
	Kind    string   // one of the Section* kinds
	KPIs    []string // the KPI ids of cards and charts, in order
	NewPage bool     // start the section on a new page
	title   localized
	body    localized
}

// Workbook holds the KPI choices of the Excel workbook.
type Workbook struct {
	Summary     []string // KPI ids on the Summary sheet, in order
	Trend       []string // KPI ids on the Trend sheet, in order
	LineChart   []string // the KPIs of the Trend sheet's line charts, one chart each
	ColumnChart []string // the KPIs of the Trend sheet's column chart
}

// Title returns the template's title in the report's language.
func (t *Template) Title(rep *kpi.Report) (string, error) {
	return t.title.exec(rep.Lang, newTextData(rep, t))
}

// SectionTitle returns the title of section i in the report's language.
func (t *Template) SectionTitle(rep *kpi.Report, i int) (string, error) {
	return t.Sections[i].title.exec(rep.Lang, newTextData(rep, t))
}

// The built-in template files.
const (
	labelsFile      = "labels.toml"
	definitionsFile = "definitions.toml"
)

var templateName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)

// LoadTemplate loads the report template name ("" means the one for kind: "month",
// "week" or "quarter") with its labels and definitions. A file in dir (if dir is not
// "") replaces the built-in file of the same name: name.toml, labels.toml,
// definitions.toml. Every text/template is parsed and tried on sample data, so a
// broken template is an error here, naming the file and line, not in the middle of a
// run.
func LoadTemplate(dir, name string, kind period.Kind) (*Template, error) {
	if name == "" {
		name = kind.String()
	}
	name = strings.TrimSuffix(name, ".toml")
	if !templateName.MatchString(name) || strings.Contains(name, "..") {
		return nil, fmt.Errorf("%w: %q is not a template name (letters, digits, _, - and .)", ErrTemplate, name)
	}
	t := &Template{Name: name}
	src, file, err := readTemplateFile(dir, name+".toml")
	if err != nil {
		return nil, err
	}
	t.File = file
	if err := t.decodeLayout(src); err != nil {
		return nil, err
	}
	if t.labels, err = LoadLabels(dir); err != nil {
		return nil, err
	}
	src, file, err = readTemplateFile(dir, definitionsFile)
	if err != nil {
		return nil, err
	}
	if t.defs, err = decodeDefinitions(src, file); err != nil {
		return nil, err
	}
	return t, nil
}

// builtin caches the embedded template of each kind; it cannot fail unless the
// embedded files are broken, which the tests rule out.
var builtin sync.Map // period.Kind → *Template

// defaultTemplate returns the built-in template of kind.
func defaultTemplate(kind period.Kind) (*Template, error) {
	if t, ok := builtin.Load(kind); ok {
		return t.(*Template), nil
	}
	t, err := LoadTemplate("", "", kind)
	if err != nil {
		return nil, err
	}
	builtin.Store(kind, t)
	return t, nil
}

// readTemplateFile returns the file name from dir, or the built-in one, and the name
// to use in errors.
func readTemplateFile(dir, name string) ([]byte, string, error) {
	if dir != "" {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			return b, path, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, path, fmt.Errorf("%w: read %s: %w", ErrTemplate, path, err)
		}
	}
	b, err := fs.ReadFile(templates.FS, name)
	if err != nil {
		where := "the built-in templates"
		if dir != "" {
			where = dir + " or " + where
		}
		return nil, name, fmt.Errorf("%w: no %s in %s", ErrTemplate, name, where)
	}
	return b, name, nil
}

// layoutFile is the TOML shape of a report template.
type layoutFile struct {
	Title    localized     `toml:"title"`
	Intro    localized     `toml:"intro"`
	Workbook workbookFile  `toml:"workbook"`
	Section  []sectionFile `toml:"section"`
}

type workbookFile struct {
	Summary     []kpiID `toml:"summary"`
	Trend       []kpiID `toml:"trend"`
	LineChart   []kpiID `toml:"line_chart"`
	ColumnChart []kpiID `toml:"column_chart"`
}

type sectionFile struct {
	Kind    sectionKind `toml:"kind"`
	Title   localized   `toml:"title"`
	Body    localized   `toml:"body"`
	KPIs    []kpiID     `toml:"kpis"`
	NewPage bool        `toml:"new_page"`
}

func (t *Template) decodeLayout(src []byte) error {
	var lf layoutFile
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&lf)
	if err != nil {
		return fileError(t.File, src, err)
	}
	if err := undecoded(t.File, src, md); err != nil {
		return err
	}
	if len(lf.Title) == 0 {
		return fmt.Errorf("%w: %s: title is required", ErrTemplate, t.File)
	}
	if len(lf.Section) == 0 {
		return fmt.Errorf("%w: %s: at least one [[section]] is required", ErrTemplate, t.File)
	}
	t.title = lf.Title.at(t.File, "title")
	t.intro = lf.Intro.at(t.File, "intro")
	all := func(ids []kpiID) []string {
		if len(ids) == 0 {
			return defIDs()
		}
		return ids2strings(ids)
	}
	t.Workbook = Workbook{
		Summary:     all(lf.Workbook.Summary),
		Trend:       all(lf.Workbook.Trend),
		LineChart:   ids2strings(lf.Workbook.LineChart),
		ColumnChart: ids2strings(lf.Workbook.ColumnChart),
	}
	if lf.Workbook.LineChart == nil {
		t.Workbook.LineChart = []string{kpi.IDRevenue, kpi.IDMRR}
	}
	if lf.Workbook.ColumnChart == nil {
		t.Workbook.ColumnChart = []string{kpi.IDQualifiedLeads, kpi.IDSalesCalls}
	}
	for i, s := range lf.Section {
		key := fmt.Sprintf("section[%d]", i)
		if s.Kind == "" {
			return fmt.Errorf("%w: %s: %s.kind is required; one of %s", ErrTemplate, t.File, key, strings.Join(sectionKinds, ", "))
		}
		sec := Section{
			Kind:    string(s.Kind),
			KPIs:    ids2strings(s.KPIs),
			NewPage: s.NewPage,
			title:   s.Title.at(t.File, key+".title"),
			body:    s.Body.at(t.File, key+".body"),
		}
		switch {
		case sec.Kind == SectionCards && len(sec.KPIs) == 0:
			sec.KPIs = defIDs()
		case sec.Kind == SectionCharts && len(sec.KPIs) == 0:
			sec.KPIs = []string{kpi.IDRevenue, kpi.IDMRR, kpi.IDChurnRate, kpi.IDBookings}
		case sec.Kind == SectionText && len(s.Body) == 0:
			return fmt.Errorf("%w: %s: %s is a text section without a body", ErrTemplate, t.File, key)
		}
		t.Sections = append(t.Sections, sec)
	}
	return nil
}

func defIDs() []string {
	ids := make([]string, len(kpi.Defs))
	for i, d := range kpi.Defs {
		ids[i] = d.ID
	}
	return ids
}

func ids2strings(ids []kpiID) []string {
	if ids == nil {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return s
}

// kpiID is a KPI id in a template; decoding checks that it exists.
type kpiID string

func (k *kpiID) UnmarshalText(b []byte) error {
	if _, ok := kpi.Lookup(string(b)); !ok {
		return fmt.Errorf("unknown KPI %q; one of %s", b, strings.Join(defIDs(), ", "))
	}
	*k = kpiID(b)
	return nil
}

// sectionKind is the kind of a section; decoding checks that it exists.
type sectionKind string

func (s *sectionKind) UnmarshalText(b []byte) error {
	if !slices.Contains(sectionKinds, string(b)) {
		return fmt.Errorf("unknown section kind %q; one of %s", b, strings.Join(sectionKinds, ", "))
	}
	*s = sectionKind(b)
	return nil
}

// localized is a text/template per report language.
type localized map[string]text

// at records in every text where it came from, for errors while rendering.
func (l localized) at(file, key string) localized {
	for lang, t := range l {
		t.file, t.key = file, key+"."+lang
		l[lang] = t
	}
	return l
}

// exec executes the text of lang with data; a template without the text is "".
func (l localized) exec(lang string, data textData) (string, error) {
	if len(l) == 0 {
		return "", nil
	}
	t, ok := l[lang]
	if !ok {
		for _, other := range l {
			key := other.key[:strings.LastIndexByte(other.key, '.')]
			return "", fmt.Errorf("%w: %s: %s has no %q text", ErrTemplate, other.file, key, lang)
		}
	}
	var b strings.Builder
	if err := t.tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%w: %s (%s): %v", ErrTemplate, t.file, t.key, err)
	}
	return b.String(), nil
}

// text is one text/template of a template file.
type text struct {
	tmpl *template.Template
	file string // "month.toml"
	key  string // "section[2].title.en"
}

// UnmarshalText parses the template and executes it on sample reports, one with every
// value defined and one with every value n/a, so that a misspelt field or KPI id is
// found when the template is loaded.
func (t *text) UnmarshalText(b []byte) error {
	tm, err := parseText(string(b))
	if err != nil {
		return err
	}
	t.tmpl = tm
	return nil
}

// parseText parses s as a text/template and executes it on the sample reports; an
// error says the line of s.
func parseText(s string) (*template.Template, error) {
	tm, err := template.New("t").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, templateLineError(err)
	}
	for _, data := range sampleData() {
		if err := tm.Execute(io.Discard, data); err != nil {
			return nil, templateLineError(err)
		}
	}
	return tm, nil
}

var tmplErrLine = regexp.MustCompile(`^template: t:(\d+)(?::\d+)?: (?:executing "t" at <[^>]*>: )?`)

// templateLineError turns a text/template error into "template line N: message", N
// counted from the start of the string; fileError makes it a line of the file.
func templateLineError(err error) error {
	msg := err.Error()
	m := tmplErrLine.FindStringSubmatch(msg)
	if m == nil {
		return err
	}
	return fmt.Errorf("template line %s: %s", m[1], msg[len(m[0]):])
}

var relLine = regexp.MustCompile(`^template line (\d+): `)

// fileError makes a TOML decoding error a template error naming file and line.
func fileError(file string, src []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%w: %s: %v", ErrTemplate, file, err)
	}
	line, msg := pe.Position.Line, pe.Message
	if m := relLine.FindStringSubmatch(msg); m != nil {
		// A template error: its line within the string, made a line of the file.
		n, _ := strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		line = templateFileLine(src, line, pe.LastKey, n, msg)
		msg = "template: " + msg
	}
	if pe.LastKey != "" {
		return fmt.Errorf("%w: %s line %d (%s): %s", ErrTemplate, file, line, pe.LastKey, msg)
	}
	return fmt.Errorf("%w: %s line %d: %s", ErrTemplate, file, line, msg)
}

// templateFileLine returns the line of src that holds line n of the text/template in
// the string value of key, whose error is msg; the decoder reported it at line, a
// line of the value (a multi-line string is reported where it ends).
//
// TOML changes lines: a multi-line string drops a newline right after its opening
// quotes, a line ending in a backslash is joined with the next non-blank one, and an
// escaped \n is a newline within one line of the file. So the string is decoded
// again with its lines laid out as in the file and the template tried on that: the
// line of the same error there is its line in the file. Should the layout not give
// the same error (a line-ending backslash inside a quoted string of an action), line
// n maps to the line of the file where it starts.
func templateFileLine(src []byte, line int, key string, n int, msg string) int {
	open, raw, ok := stringValue(src, line, key)
	if !ok {
		return line
	}
	layout, starts := decodeLayout(raw)
	if _, err := parseText(layout); err != nil {
		if m := relLine.FindStringSubmatch(err.Error()); m != nil && err.Error()[len(m[0]):] == msg {
			k, _ := strconv.Atoi(m[1])
			return open + k - 1
		}
	}
	if n >= 1 && n <= len(starts) {
		return open + starts[n-1]
	}
	return open + n - 1
}

// stringValue finds the string value of key that the decoder reported at line, a
// line of the value, and returns the line where it opens and src from its opening
// quotes on.
func stringValue(src []byte, line int, key string) (open int, raw []byte, ok bool) {
	name := regexp.QuoteMeta(key[strings.LastIndexByte(key, '.')+1:])
	re := regexp.MustCompile(`(?:^|[\s{,.])["']?` + name + `["']?\s*=\s*("""|'''|"|')`)
	lines := bytes.SplitAfter(src, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0, nil, false
	}
	offsets := make([]int, len(lines)) // where each line starts in src
	for i := 1; i < len(lines); i++ {
		offsets[i] = offsets[i-1] + len(lines[i-1])
	}
	for i := line; i >= 1; i-- {
		if m := re.FindSubmatchIndex(lines[i-1]); m != nil {
			return i, src[offsets[i-1]+m[2]:], true
		}
	}
	return 0, nil, false
}

// decodeLayout decodes the TOML string that raw starts with (at its opening quotes)
// as a TOML decoder does, except for its lines: each newline of the file is a newline
// of the layout, and no other is (an escaped \n becomes a space). starts[i] is the
// line of the file, counted from the opening quotes' line as 0, where line i+1 of the
// decoded string starts.
func decodeLayout(raw []byte) (layout string, starts []int) {
	delim := `"`
	for _, d := range []string{`"""`, `'''`, `"`, `'`} {
		if bytes.HasPrefix(raw, []byte(d)) {
			delim = d
			break
		}
	}
	multi, literal := len(delim) == 3, delim[0] == '\''
	s := raw[len(delim):]
	var b strings.Builder
	line := 0
	if multi {
		// A newline right after the opening quotes is not part of the string.
		if rest, ok := bytes.CutPrefix(bytes.TrimPrefix(s, []byte("\r")), []byte("\n")); ok {
			s = rest
			line++
			b.WriteByte('\n')
		}
	}
	starts = []int{line}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case bytes.HasPrefix(s[i:], []byte(delim)):
			if multi { // up to two quotes before the closing ones are in the string
				q := 3
				for q < 5 && i+q < len(s) && s[i+q] == delim[0] {
					q++
				}
				b.WriteString(strings.Repeat(delim[:1], q-3))
			}
			return b.String(), starts
		case c == '\n':
			line++
			b.WriteByte('\n')
			starts = append(starts, line)
			i++
		case c != '\\' || literal:
			b.WriteByte(c)
			i++
		default:
			i = decodeEscape(s, i, multi, &b, &line, &starts)
		}
	}
	return b.String(), starts
}

// decodeEscape decodes the escape at s[i] (a backslash) into b and returns where
// decoding goes on. A line-ending backslash of a multi-line string swallows the
// white space and newlines after it: in the layout they stay newlines, and line
// counts them. An escaped newline starts a new line of the string on the same line
// of the file.
func decodeEscape(s []byte, i int, multi bool, b *strings.Builder, line *int, starts *[]int) int {
	j := i + 1
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
		j++
	}
	if multi && j < len(s) && s[j] == '\n' {
		for ; j < len(s) && strings.IndexByte(" \t\r\n", s[j]) >= 0; j++ {
			if s[j] == '\n' {
				*line++
				b.WriteByte('\n')
			}
		}
		return j
	}
	if i+1 >= len(s) {
		return len(s)
	}
	hex := 0
	switch e := s[i+1]; e {
	case 'n':
		b.WriteByte(' ')
		*starts = append(*starts, *line)
	case 't':
		b.WriteByte('\t')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'e':
		b.WriteByte(0x1b)
	case 'x':
		hex = 2
	case 'u':
		hex = 4
	case 'U':
		hex = 8
	default: // \" and \\
		b.WriteByte(e)
	}
	if hex > 0 && i+2+hex <= len(s) {
		if r, err := strconv.ParseUint(string(s[i+2:i+2+hex]), 16, 32); err == nil {
			b.WriteRune(rune(r))
		}
		return i + 2 + hex
	}
	return i + 2
}

// undecoded returns an error for the first key of src that the decoder did not use.
func undecoded(file string, src []byte, md toml.MetaData) error {
	keys := md.Undecoded()
	if len(keys) == 0 {
		return nil
	}
	k := keys[0]
	if line := keyLine(src, k[len(k)-1]); line > 0 {
		return fmt.Errorf("%w: %s line %d: unknown key %s", ErrTemplate, file, line, k)
	}
	return fmt.Errorf("%w: %s: unknown key %s", ErrTemplate, file, k)
}

// keyLine returns the first line of src that defines key name (as "name =" or in a
// table header), or 0.
func keyLine(src []byte, name string) int {
	re := regexp.MustCompile(`^\s*(?:["']?` + regexp.QuoteMeta(name) + `["']?\s*=|\[\[?[^\]]*\b` + regexp.QuoteMeta(name) + `\b[^\]]*\]\]?)`)
	for i, l := range bytes.Split(src, []byte("\n")) {
		if re.Match(l) {
			return i + 1
		}
	}
	return 0
}
