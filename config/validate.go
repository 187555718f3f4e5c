package config

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/currency"
)

// languages are the report languages with translations.
var languages = []string{"en", "nl"}

// Validate checks the configuration as Load leaves it (defaults applied,
// paths resolved) and returns a *ValidationError with every problem found,
// or nil. It does not change c.
//
// Settings of [smtp], [delivery], [state], [cluster], [log] and the jobs'
// delivery settings left at their zero value count as left out: they are
// checked with their defaults. When delivery.mode is "smtp", Validate also
// checks that the password can be read, and likewise every DSN or URL that an
// *_env setting names.
func (c *Config) Validate() error {
	if ps, _ := c.withDefaults().problems(nil, true, true); len(ps) > 0 {
		name := c.Path
		if name == "" {
			name = parseName
		}
		return &ValidationError{File: name, Problems: ps}
	}
	return nil
}

// secrets are the values the checks read from the environment or a file.
type secrets struct {
	smtpPassword Secret
	sourceDSN    Secret
	stateDSN     Secret
}

// problems runs every check, in the order of the example file. md, when not
// nil, is the metadata of the decoded file, for the checks that need to know
// what the file wrote. data says whether to check that the data source's
// folder and files are there (checkData); password whether to read the SMTP
// password. It also returns the secrets it read:
// the SMTP password when delivery.mode is "smtp", and the DSNs and URLs the
// *_env settings name.
func (c *Config) problems(md *toml.MetaData, data, password bool) ([]Problem, secrets) {
	var (
		ps  problems
		sec secrets
	)
	c.checkReport(&ps)
	sec.sourceDSN = c.checkSource(&ps)
	if data {
		c.checkData(&ps)
	}
	c.checkKPI(&ps, md)
	c.checkTargets(&ps)
	checkQuality(&ps, "quality", c.Quality)
	sec.smtpPassword = c.checkSMTP(&ps, password)
	c.checkDelivery(&ps)
	sec.stateDSN = c.checkState(&ps)
	c.checkCluster(&ps)
	c.checkLog(&ps)
	c.checkJobs(&ps)
	return ps, sec
}

// problems collects Problems in the order they are found.
type problems []Problem

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *Config) checkReport(ps *problems) {
	r := c.Report
	if strings.TrimSpace(r.Company) == "" {
		ps.add("report.company", "is required")
	}

	switch r.Timezone {
	case "":
		ps.add("report.timezone", `is empty; want an IANA zone name such as "Europe/Amsterdam"`)
	case "Local":
		ps.add("report.timezone", `"Local" depends on the host; want an IANA zone name such as "Europe/Amsterdam"`)
	default:
		if _, err := time.LoadLocation(r.Timezone); err != nil {
			ps.add("report.timezone", "%s is not a time zone: %v", quote(r.Timezone), err)
		}
	}

	if !currencyCode.MatchString(r.Currency) {
		ps.add("report.currency", `%s is not an ISO 4217 code (3 upper-case letters, such as "EUR")`, quote(r.Currency))
	} else if _, err := currency.ParseISO(r.Currency); err != nil {
		ps.add("report.currency", "%s is not a known ISO 4217 currency", quote(r.Currency))
	}

	checkLanguage(ps, "report.language", r.Language)

	if r.OutputDir == "" {
		ps.add("report.output_dir", "is empty; leave it out for %q", DefaultOutputDir)
	} else if fi, err := os.Stat(c.abs(r.OutputDir)); err == nil && !fi.IsDir() {
		ps.add("report.output_dir", "%q is not a folder", c.abs(r.OutputDir))
	}
	if r.Logo != "" {
		checkImage(ps, "report.logo", c.abs(r.Logo))
	}
	if r.TemplateDir != "" {
		checkDir(ps, "report.template_dir", c.abs(r.TemplateDir))
	}
	for i, f := range r.Fonts {
		key := fmt.Sprintf("report.fonts[%d]", i)
		if f == "" {
			ps.add(key, "is empty; give the path of a .ttf file")
			continue
		}
		checkFont(ps, key, c.abs(f))
	}
}

// checkFont checks that path is a single TrueType font that the PDF can embed: not
// a collection (.ttc) and not an OpenType font with CFF outlines (.otf).
func checkFont(ps *problems, key, path string) {
	if !checkFile(ps, key, path) {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		ps.add(key, "%q cannot be read: %v", path, unwrapPath(err))
		return
	}
	switch {
	case bytes.HasPrefix(b, []byte("ttcf")):
		ps.add(key, "%q is a font collection (.ttc), which the PDF cannot embed; use a single .ttf font", path)
		return
	case bytes.HasPrefix(b, []byte("OTTO")):
		ps.add(key, "%q is an OpenType font with CFF outlines, which the PDF cannot embed; use a .ttf font with TrueType outlines", path)
		return
	case !bytes.HasPrefix(b, []byte{0, 1, 0, 0}) && !bytes.HasPrefix(b, []byte("true")):
		ps.add(key, "%q is not a TrueType font", path)
		return
	}
	if _, err := sfnt.Parse(b); err != nil {
		ps.add(key, "%q is not a TrueType font: %v", path, err)
	}
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func checkLanguage(ps *problems, key, lang string) {
	if !slices.Contains(languages, lang) {
		ps.add(key, "%s is not a report language; one of %s", quote(lang), list(languages))
	}
}

func (c *Config) checkKPI(ps *problems, md *toml.MetaData) {
	v := c.KPI.CLVLifespanYears
	zeroWritten := v == 0 && md != nil && md.IsDefined("kpi", "clv_lifespan_years")
	if v < 0 || zeroWritten || math.IsNaN(v) || math.IsInf(v, 0) {
		ps.add("kpi.clv_lifespan_years", "%v is not a lifespan; want years > 0, or leave it out to use 1 / churn rate", v)
	}
}

// fractionKPIs are the ratio KPIs that cannot exceed 100 %; a target above 1
// is a percentage written as a number (5 for 5 %).
var fractionKPIs = []string{"churn_rate", "retention_rate", "lead_conversion_rate", "profit_margin"}

// signedKPIs are the KPIs that can be negative.
var signedKPIs = []string{"sales_growth", "profit_margin"}

func (c *Config) checkTargets(ps *problems) { checkTargets(ps, "targets.", c.Targets) }

// checkTargets checks a [targets] table whose keys start with prefix.
func checkTargets(ps *problems, prefix string, targets map[string]float64) {
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v, key := targets[id], prefix+id
		switch {
		case !slices.Contains(KPIIDs, id):
			ps.add(key, "unknown KPI; one of %s", list(KPIIDs))
		case math.IsNaN(v) || math.IsInf(v, 0):
			ps.add(key, "%v is not a target", v)
		case v < 0 && !slices.Contains(signedKPIs, id):
			ps.add(key, "%v is negative", v)
		case v > 1 && slices.Contains(fractionKPIs, id):
			ps.add(key, "%v is above 1; ratios are fractions (0.05 = 5 %%)", v)
		}
	}
}

func checkDir(ps *problems, key, path string) {
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		ps.add(key, "%q does not exist", path)
	case err != nil:
		ps.add(key, "%q cannot be read: %v", path, unwrapPath(err))
	case !fi.IsDir():
		ps.add(key, "%q is not a folder", path)
	}
}

// checkFile reports a problem unless path is an existing regular file, and
// returns whether it is one.
func checkFile(ps *problems, key, path string) bool {
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		ps.add(key, "%q does not exist", path)
	case err != nil:
		ps.add(key, "%q cannot be read: %v", path, unwrapPath(err))
	case fi.IsDir():
		ps.add(key, "%q is a folder, not a file", path)
	default:
		return true
	}
	return false
}

// checkImage reports a problem unless path is a PNG or JPEG file.
func checkImage(ps *problems, key, path string) {
	if !checkFile(ps, key, path) {
		return
	}
	head, err := readHead(path, 8)
	if err != nil {
		ps.add(key, "%q cannot be read: %v", path, unwrapPath(err))
		return
	}
	if !bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")) && !bytes.HasPrefix(head, []byte("\xff\xd8\xff")) {
		ps.add(key, "%q is not a PNG or JPEG image", path)
	}
}

// readHead returns the first n bytes of the file at path, fewer if it is shorter.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, n)
	m, err := io.ReadFull(f, head)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return head[:m], err
}

// unwrapPath drops the path from an *os.PathError; messages already say it.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// quote returns s quoted, cut to 60 characters: messages show what was
// written without repeating a long value in full.
func quote(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// list returns the words quoted and comma separated.
func list(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}
