package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"
)

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
