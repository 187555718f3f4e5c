package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
)

// Defaults of a job's delivery settings.
const (
	DefaultSubject    = "{{.Company}}: {{.Title}} {{.Label}}"
	DefaultJobTimeout = 15 * time.Minute
	DefaultCatchUp    = "latest"
	DefaultCatchUpMax = 12
)

// catchUpModes are the values of a job's catch_up: which periods missed while
// the daemon was down are run when it starts, and whether a failed run of the
// due period is tried again while it runs ("none": no automatic retries).
var catchUpModes = []string{"latest", "all", "none"}

// SubjectData is what a job's subject template is executed with.
type SubjectData struct {
	Company string // report.company
	Job     string // the job's name
	Title   string // the report's title, in the job's language
	Period  string // the period's id: 2026-10, 2026-W43, 2026-Q3
	Label   string // the period for people: October 2026
}

// ParseSubject parses a subject template (text/template, missingkey=error),
// as Load checks a job's subject.
func ParseSubject(text string) (*template.Template, error) {
	return template.New("subject").Option("missingkey=error").Parse(text)
}

// periods are the period kinds a job can report on.
var periods = []string{"month", "week", "quarter"}

// formats are the report formats kpireport renders.
var formats = []string{"xlsx", "pdf"}

// placeholders are the names a job's filename template may use.
var placeholders = []string{"job", "period", "company"}

var (
	jobName      = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	templateName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)
)

func (c *Config) checkJobs(ps *problems) {
	if len(c.Jobs) == 0 {
		ps.add("jobs", "at least one [[jobs]] entry is required")
		return
	}
	first := make(map[string]int) // job name -> index of its first use
	for i := range c.Jobs {
		if _, dup := first[c.Jobs[i].Name]; !dup {
			first[c.Jobs[i].Name] = i
		}
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		// A job is named by its name where that is unambiguous, else by index.
		key := fmt.Sprintf("jobs[%d]", i)
		switch {
		case j.Name == "":
			ps.add(key+".name", "is required")
		case !jobName.MatchString(j.Name):
			ps.add(key+".name", "%s is not a job name (letters, digits, _ and -)", quote(j.Name))
		case first[j.Name] != i:
			ps.add(key+".name", "%s is already the name of jobs[%d]", quote(j.Name), first[j.Name])
		case c.countJobs(j.Name) > 1:
			// the first of duplicates: keep the index so keys are unambiguous
		default:
			key = "jobs[" + j.Name + "]"
		}
		c.checkJob(ps, key, j)
	}
}

func (c *Config) countJobs(name string) int {
	n := 0
	for i := range c.Jobs {
		if c.Jobs[i].Name == name {
			n++
		}
	}
	return n
}

func (c *Config) checkJob(ps *problems, key string, j *Job) {
	switch {
	case j.Period == "":
		ps.add(key+".period", "is required; one of %s", list(periods))
	case !slices.Contains(periods, j.Period):
		ps.add(key+".period", "%s is not a period; one of %s", quote(j.Period), list(periods))
	}

	if msg := checkSchedule(j.Schedule); msg != "" {
		ps.add(key+".schedule", "%s", msg)
	}
	checkTargets(ps, key+".targets.", j.Targets)
	checkQuality(ps, key+".quality", j.Quality)

	if len(j.Formats) == 0 {
		ps.add(key+".formats", "lists no format; one or more of %s, or leave it out for both", list(formats))
	}
	for n, f := range j.Formats {
		switch {
		case !slices.Contains(formats, f):
			ps.add(fmt.Sprintf("%s.formats[%d]", key, n), "%s is not a format; one of %s", quote(f), list(formats))
		case slices.Index(j.Formats, f) != n:
			ps.add(fmt.Sprintf("%s.formats[%d]", key, n), "%s is listed twice", quote(f))
		}
	}

	if j.Template != "" && (!templateName.MatchString(j.Template) || strings.Contains(j.Template, "..")) {
		ps.add(key+".template", "%s is not a template name (letters, digits, _, - and .)", quote(j.Template))
	}

	if used, msg := checkFilename(j.Filename); msg != "" {
		ps.add(key+".filename", "%s", msg)
	} else if slices.Contains(used, "company") && strings.ContainsAny(c.Report.Company, `/\`) {
		ps.add(key+".filename", "uses {{company}}, and report.company %s contains a path separator", quote(c.Report.Company))
	}

	if j.Language != "" {
		checkLanguage(ps, key+".language", j.Language)
	}

	seen := make(map[string]string) // an address may be in one of recipients, cc and bcc
	checkAddresses(ps, key+".recipients", j.Recipients, seen)
	checkAddresses(ps, key+".cc", j.CC, seen)
	checkAddresses(ps, key+".bcc", j.BCC, seen)
	checkAddresses(ps, key+".reply_to", j.ReplyTo, make(map[string]string))

	sample := SubjectData{Company: c.Report.Company, Job: j.Name, Title: "KPI report", Period: "2026-10", Label: "October 2026"}
	if msg := checkSubject(j.Subject, sample); msg != "" {
		ps.add(key+".subject", "%s", msg)
	}

	if j.Timeout.Duration <= 0 {
		ps.add(key+".timeout", "%v is not a timeout; want a duration > 0, such as %q", j.Timeout, Duration{DefaultJobTimeout}.String())
	}
	c.checkRetryTime(ps, key, j)
	if !slices.Contains(catchUpModes, j.CatchUp) {
		ps.add(key+".catch_up", "%s is not a catch-up mode; one of %s", quote(j.CatchUp), list(catchUpModes))
	}
	if j.CatchUpMax < 1 {
		ps.add(key+".catch_up_max", "%d is not a number of periods; want 1 or more", j.CatchUpMax)
	}
}

// checkSubject returns what is wrong with a subject template, or "": it must
// parse, and execute on sample data to one line that is not blank.
func checkSubject(text string, sample SubjectData) string {
	if text == "" {
		return fmt.Sprintf("is empty; leave it out for %q", DefaultSubject)
	}
	t, err := ParseSubject(text)
	if err != nil {
		return fmt.Sprintf("%s is not a template: %v", quote(text), err)
	}
	var b strings.Builder
	if err := t.Execute(&b, sample); err != nil {
		return fmt.Sprintf("%s fails on a sample report: %v; the fields are .Company, .Job, .Title, .Period and .Label", quote(text), err)
	}
	switch out := b.String(); {
	case strings.ContainsAny(out, "\r\n"):
		return fmt.Sprintf("%s gives a subject with a line break", quote(text))
	case strings.TrimSpace(out) == "":
		return fmt.Sprintf("%s gives an empty subject", quote(text))
	}
	return ""
}

// checkSchedule returns what is wrong with a job's schedule, or "". It must be
// a standard cron expression as gocron reads it, without a time zone of its
// own: jobs run in report.timezone.
func checkSchedule(spec string) string {
	s := strings.TrimSpace(spec)
	switch {
	case s == "":
		return `is required; a cron expression such as "0 7 1 * *"`
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return fmt.Sprintf("%s sets a time zone; jobs run in report.timezone", quote(spec))
	case strings.HasPrefix(s, "@every"):
		return fmt.Sprintf("%s is an interval, not a cron expression", quote(spec))
	}
	if _, err := cron.ParseStandard(s); err != nil {
		return fmt.Sprintf("%s is not a cron expression: %v", quote(spec), err)
	}
	return ""
}

// checkFilename returns the placeholders a filename template uses and what
// is wrong with it, or "". It may use {{job}}, {{period}} and {{company}}
// between literal text that is safe in a file name on any system.
func checkFilename(tmpl string) (used []string, msg string) {
	if tmpl == "" {
		return nil, fmt.Sprintf("is empty; leave it out for %q", DefaultFilename)
	}
	var literal strings.Builder
	rest := tmpl
	for rest != "" {
		open := strings.Index(rest, "{{")
		closing := strings.Index(rest, "}}")
		if open < 0 || closing >= 0 && closing < open {
			if closing >= 0 {
				return used, fmt.Sprintf("%s has }} without {{", quote(tmpl))
			}
			literal.WriteString(rest)
			break
		}
		literal.WriteString(rest[:open])
		rest = rest[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return used, fmt.Sprintf("%s has {{ without }}", quote(tmpl))
		}
		name := strings.TrimSpace(rest[:end])
		if !slices.Contains(placeholders, name) {
			return used, fmt.Sprintf("%s uses {{%s}}; only {{job}}, {{period}} and {{company}} are known", quote(tmpl), name)
		}
		used = append(used, name)
		literal.WriteString("x")
		rest = rest[end+2:]
	}
	lit := literal.String()
	switch {
	case strings.ContainsAny(lit, `/\`):
		return used, fmt.Sprintf("%s contains a path separator; reports are written to report.output_dir", quote(tmpl))
	case strings.Contains(lit, ".."):
		return used, fmt.Sprintf("%s contains \"..\"", quote(tmpl))
	case strings.ContainsAny(lit, `<>:"|?*`) || strings.ContainsFunc(lit, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return used, fmt.Sprintf(`%s contains a character not allowed in file names (<>:"|?* or a control character)`, quote(tmpl))
	}
	return used, ""
}
