// Package config loads and validates kpireport's TOML configuration file:
// which company and time zone a report is for, where the sales data lives,
// the KPI targets, the report jobs with their schedules and recipients, and
// how reports are delivered, where the run ledger is kept, how replicas
// share the schedule and how to log.
//
// Loading is defaults, then a strict decode (an unknown key is a problem),
// then Validate, which reports every problem at once with its key path.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	// Zones are checked here with time.LoadLocation; embedding the database
	// makes a valid report.timezone valid on every host, minimal containers too.
	_ "time/tzdata"

	"github.com/BurntSushi/toml"
)

// KPIIDs are the stable ids of the KPIs, in the order of the KPI contract.
// They are the keys allowed in [targets].
var KPIIDs = []string{
	"revenue", "cac", "clv", "avg_sales_cycle_days", "sales_growth", "aov",
	"arpc", "pipeline_velocity", "churn_rate", "retention_rate", "mrr",
	"profit_margin", "lead_conversion_rate", "bookings",
	"upsell_cross_sell_revenue", "qualified_leads", "sales_calls", "sales",
}

// Config is a loaded configuration file.
type Config struct {
	Path     string             `toml:"-"` // absolute path of the file loaded
	Dir      string             `toml:"-"` // folder of the file; relative paths resolve against it
	Report   Report             `toml:"report"`
	Source   Source             `toml:"source"`
	KPI      KPI                `toml:"kpi"`
	Quality  Quality            `toml:"quality"` // the data-quality gate before a report is mailed
	Targets  map[string]float64 `toml:"targets"` // KPI id -> target value (ratios as fractions: 0.05 = 5 %)
	SMTP     SMTP               `toml:"smtp"`
	Delivery Delivery           `toml:"delivery"`
	State    State              `toml:"state"`
	Cluster  Cluster            `toml:"cluster"`
	Log      Log                `toml:"log"`
	Jobs     []Job              `toml:"jobs"`
}

// Report holds what every report of this configuration shares.
type Report struct {
	Company     string `toml:"company"`      // required
	Timezone    string `toml:"timezone"`     // IANA name, default "UTC"; validated with time.LoadLocation
	Currency    string `toml:"currency"`     // ISO 4217 code, 3 upper-case letters, default "EUR"
	Language    string `toml:"language"`     // "en" | "nl", default "en"
	OutputDir   string `toml:"output_dir"`   // default "reports", resolved against Dir
	Logo        string `toml:"logo"`         // optional PNG/JPEG path, resolved, must exist
	TemplateDir string `toml:"template_dir"` // optional folder of template overrides, resolved, must exist
	// Fonts are TrueType files for the PDF's characters that the built-in DejaVu Sans
	// lacks (CJK, for one), tried in order per character; resolved, must exist and
	// be single TrueType fonts. Default: none.
	Fonts    []string       `toml:"fonts"`
	Location *time.Location `toml:"-"` // filled by Load from Timezone
}

// Source says where the sales data is read from.
type Source struct {
	Type      string                 `toml:"type"`      // "csv" | "sqlite" | "postgres" | "mysql"
	Dir       string                 `toml:"dir"`       // csv: folder with <table>.csv; required for csv; resolved; must exist
	Path      string                 `toml:"path"`      // sqlite: database file; required for sqlite; resolved; must exist
	DSNEnv    string                 `toml:"dsn_env"`   // postgres, mysql: name of the environment variable holding the DSN; required for them
	Delimiter string                 `toml:"delimiter"` // csv: one character, default ","; not a quote, CR or LF
	Decimal   string                 `toml:"decimal"`   // csv: decimal separator "." (default) or ","; must differ from delimiter
	Tables    map[string]TableSource `toml:"tables"`    // per canonical table overrides, keys: orders customers leads deals spend calls
	// StatementTimeout limits each query (postgres, mysql); default 10m, must be positive.
	StatementTimeout Duration `toml:"statement_timeout"`
	// Encoding of the CSV files: "utf-8" (default), "windows-1252" or "iso-8859-1".
	Encoding string `toml:"encoding"`
	// DateFormat is a Go layout ("02-01-2006") of day-first dates (csv, sqlite);
	// default: ISO 8601 only.
	DateFormat string `toml:"date_format"`
	// Values map values of enum columns to the contract's: column → value in the
	// data → canonical value ([source.values] kind = { nieuw = "new" }).
	Values map[string]map[string]string `toml:"values"`
	// OrphanOrders is what an order whose customer_id is not in customers is:
	// "warn" (default) or "error".
	OrphanOrders string `toml:"orphan_orders"`
	// DSN is read by Load from dsn_env for postgres and mysql; it is never in
	// the file.
	DSN Secret `toml:"-"`
}

// TableSource overrides where one canonical table is read from.
type TableSource struct {
	File  string `toml:"file"`  // csv: file name instead of <table>.csv (resolved against Source.Dir)
	Table string `toml:"table"` // sql: table name instead of the canonical one (identifier: letters, digits, _, optionally schema.table)
	Query string `toml:"query"` // sql: full SELECT returning the canonical column names
}

// KPI holds settings that change how KPIs are computed.
type KPI struct {
	// CLVLifespanYears is the customer lifespan used for CLV. Zero means
	// not set: CLV then uses 1 / churn rate of the trailing twelve months.
	CLVLifespanYears float64 `toml:"clv_lifespan_years"`
}

// Job is one scheduled report: which period kind it covers, when it runs,
// what it produces and who receives it.
type Job struct {
	Name     string   `toml:"name"`     // required, unique, [A-Za-z0-9_-]+
	Period   string   `toml:"period"`   // "month" | "week" | "quarter", required
	Schedule string   `toml:"schedule"` // standard 5-field cron expression in report.timezone, required
	Formats  []string `toml:"formats"`  // subset of "xlsx","pdf"; default both; no duplicates
	Template string   `toml:"template"` // report template name; "" means the built-in one for the period kind
	Filename string   `toml:"filename"` // output base name template, default "{{job}}-{{period}}"
	Language string   `toml:"language"` // optional per-job override of report.language

	// Recipients, CC and BCC are email addresses ("Name <addr>" or addr); an
	// address is in at most one of them. A job without any only renders.
	Recipients []string `toml:"recipients"` // To
	CC         []string `toml:"cc"`
	BCC        []string `toml:"bcc"`          // never shown in the headers
	ReplyTo    []string `toml:"reply_to"`     // where replies go instead of smtp.from
	Subject    string   `toml:"subject"`      // text/template on SubjectData, default DefaultSubject
	Timeout    Duration `toml:"timeout"`      // longest a run may take, default 15m
	CatchUp    string   `toml:"catch_up"`     // periods missed while down, retries of failed runs: "latest" (default) | "all" | "none"
	CatchUpMax int      `toml:"catch_up_max"` // most periods run by catch_up = "all", default 12
	// Targets override [targets] for this job, KPI id -> target: a monthly revenue
	// target means nothing to a weekly job.
	Targets map[string]float64 `toml:"targets"`
	// Quality overrides [quality] for this job, key by key.
	Quality Quality `toml:"quality"`
}

// TargetsOf returns the targets of job j: [targets], overridden by the job's own.
func (c *Config) TargetsOf(j *Job) map[string]float64 {
	out := make(map[string]float64, len(c.Targets)+len(j.Targets))
	for id, v := range c.Targets {
		out[id] = v
	}
	for id, v := range j.Targets {
		out[id] = v
	}
	return out
}

// Defaults used where the file does not set a value.
const (
	DefaultTimezone  = "UTC"
	DefaultCurrency  = "EUR"
	DefaultLanguage  = "en"
	DefaultOutputDir = "reports"
	DefaultDelimiter = ","
	DefaultDecimal   = "."
	DefaultFilename  = "{{job}}-{{period}}"
)

// defaultFormats are the formats a job produces when it lists none.
var defaultFormats = []string{"xlsx", "pdf"}

// parseName is the file name errors from Parse carry; Load uses the real one.
const parseName = "config.toml"

// Load reads the configuration file at path, decodes it over the defaults,
// validates it and resolves its relative paths against the file's folder.
// Errors name path as given: a *DecodeError for bad TOML, a *ValidationError
// listing every problem, or the error from reading the file. Options may leave
// checks out (DeferDataChecks).
func Load(path string, opts ...LoadOption) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data, filepath.Dir(abs), filepath.Clean(path), opts...)
	if err != nil {
		return nil, err
	}
	c.Path = abs
	return c, nil
}

// Parse is Load for a configuration held in memory: relative paths resolve
// against dir (the working directory when empty), and errors name the file
// "config.toml". Path is left empty.
func Parse(data []byte, dir string) (*Config, error) {
	return parse(data, dir, parseName)
}

func parse(data []byte, dir, name string, opts ...LoadOption) (*Config, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := &Config{
		Dir: dir,
		Report: Report{
			Timezone:  DefaultTimezone,
			Currency:  DefaultCurrency,
			Language:  DefaultLanguage,
			OutputDir: DefaultOutputDir,
		},
		SMTP: SMTP{
			TLS:             DefaultTLS,
			Timeout:         Duration{DefaultSMTPTimeout},
			MaxAttachmentMB: DefaultMaxAttachmentMB,
		},
		Delivery: Delivery{
			Mode:       DefaultMode,
			OutboxDir:  DefaultOutboxDir,
			Retries:    DefaultRetries,
			Backoff:    Duration{DefaultBackoff},
			MaxBackoff: Duration{DefaultMaxBackoff},
			// A zero written in the file stays: it turns the periodic resume off.
			ResumeInterval: Duration{DefaultResumeInterval},
		},
		State:   State{Driver: DefaultStateDriver, Path: DefaultStatePath},
		Cluster: Cluster{Lease: Duration{DefaultLease}},
		Log:     Log{Format: DefaultLogFormat, Level: DefaultLogLevel},
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		return nil, decodeError(name, md, err)
	}
	problems := append(unknownKeys(md), notTables(md)...)
	c.applyDefaults(md)
	c.resolve()
	o := loadOpts(opts)
	ps, sec := c.problems(&md, !o.deferData, !o.noPassword)
	problems = append(problems, ps...)
	if len(problems) > 0 {
		return nil, &ValidationError{File: name, Problems: problems}
	}
	c.Report.Location, _ = time.LoadLocation(c.Report.Timezone) // checked by problems
	c.SMTP.Password = sec.smtpPassword
	c.Source.DSN = sec.sourceDSN
	c.State.DSN = sec.stateDSN
	return c, nil
}

// applyDefaults fills what the file left out and depends on other settings,
// so could not be preset before decoding.
func (c *Config) applyDefaults(md toml.MetaData) {
	if c.Source.Type == "csv" {
		if !md.IsDefined("source", "delimiter") {
			c.Source.Delimiter = DefaultDelimiter
		}
		if !md.IsDefined("source", "decimal") {
			c.Source.Decimal = DefaultDecimal
		}
	}
	if !md.IsDefined("smtp", "port") {
		c.SMTP.Port = defaultPort(c.SMTP.TLS)
	}
	if !c.State.stateFile() && !md.IsDefined("state", "path") {
		c.State.Path = "" // the preset default is for a file
	}
	if !md.IsDefined("cluster", "node") {
		c.Cluster.Node = DefaultNode()
	}
	keys := jobKeys(md)
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Formats == nil { // formats = [] stays empty and is reported
			j.Formats = append([]string(nil), defaultFormats...)
		}
		if j.Filename == "" {
			j.Filename = DefaultFilename
		}
		// A value the file wrote stays, so that subject = "" is reported
		// rather than replaced.
		unset := func(key string) bool { return i >= len(keys) || !keys[i][key] }
		if j.Subject == "" && unset("subject") {
			j.Subject = DefaultSubject
		}
		if j.Timeout.Duration == 0 && unset("timeout") {
			j.Timeout.Duration = DefaultJobTimeout
		}
		if j.CatchUp == "" && unset("catch_up") {
			j.CatchUp = DefaultCatchUp
		}
		if j.CatchUpMax == 0 && unset("catch_up_max") {
			j.CatchUpMax = DefaultCatchUpMax
		}
	}
}

// withDefaults returns a copy of c with the defaults of the delivery, state,
// cluster and log settings, and of the jobs' delivery settings, in place of zero
// values, so that Validate accepts a Config built in code that leaves them
// out. Load instead leaves a zero the file wrote, for the checks to report.
func (c *Config) withDefaults() *Config {
	d := *c
	d.Jobs = slices.Clone(c.Jobs)
	orDefault(&d.SMTP.TLS, DefaultTLS)
	orDefault(&d.SMTP.Port, defaultPort(d.SMTP.TLS))
	orDefault(&d.SMTP.Timeout, Duration{DefaultSMTPTimeout})
	orDefault(&d.SMTP.MaxAttachmentMB, DefaultMaxAttachmentMB)
	orDefault(&d.Delivery.Mode, DefaultMode)
	orDefault(&d.Delivery.OutboxDir, DefaultOutboxDir)
	orDefault(&d.Delivery.Backoff, Duration{DefaultBackoff})
	orDefault(&d.Delivery.MaxBackoff, Duration{DefaultMaxBackoff})
	orDefault(&d.Delivery.ResumeInterval, Duration{DefaultResumeInterval})
	orDefault(&d.State.Driver, DefaultStateDriver)
	if d.State.stateFile() {
		orDefault(&d.State.Path, DefaultStatePath)
	}
	orDefault(&d.Cluster.Lease, Duration{DefaultLease})
	if d.Cluster.Node == "" {
		d.Cluster.Node = DefaultNode()
	}
	orDefault(&d.Log.Format, DefaultLogFormat)
	orDefault(&d.Log.Level, DefaultLogLevel)
	for i := range d.Jobs {
		j := &d.Jobs[i]
		orDefault(&j.Subject, DefaultSubject)
		orDefault(&j.Timeout, Duration{DefaultJobTimeout})
		orDefault(&j.CatchUp, DefaultCatchUp)
		orDefault(&j.CatchUpMax, DefaultCatchUpMax)
	}
	return &d
}

// orDefault sets *v to def when it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// jobKeys returns the keys each [[jobs]] entry sets, in file order.
func jobKeys(md toml.MetaData) []map[string]bool {
	var jobs []map[string]bool
	for _, k := range md.Keys() {
		switch {
		case len(k) == 1 && k[0] == "jobs" && md.Type("jobs") == "ArrayHash":
			jobs = append(jobs, make(map[string]bool))
		case len(k) == 2 && k[0] == "jobs" && len(jobs) > 0:
			jobs[len(jobs)-1][k[1]] = true
		}
	}
	return jobs
}

// resolve makes the file paths absolute: against Dir, and a table's file
// against Source.Dir.
func (c *Config) resolve() {
	c.Report.OutputDir = c.abs(c.Report.OutputDir)
	c.Report.Logo = c.abs(c.Report.Logo)
	c.Report.TemplateDir = c.abs(c.Report.TemplateDir)
	for i, f := range c.Report.Fonts {
		c.Report.Fonts[i] = c.abs(f)
	}
	c.Source.Dir = c.abs(c.Source.Dir)
	c.Source.Path = c.abs(c.Source.Path)
	c.SMTP.PasswordFile = c.abs(c.SMTP.PasswordFile)
	c.Delivery.OutboxDir = c.abs(c.Delivery.OutboxDir)
	if c.State.stateFile() {
		c.State.Path = c.abs(c.State.Path)
	}
	for name, t := range c.Source.Tables {
		if t.File != "" && !filepath.IsAbs(t.File) {
			t.File = filepath.Join(c.Source.Dir, t.File)
			c.Source.Tables[name] = t
		}
	}
}

// abs returns p resolved against c.Dir; "" stays "".
func (c *Config) abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Job returns the job called name. For an unknown name the error wraps
// ErrUnknownJob and lists the jobs that do exist.
func (c *Config) Job(name string) (*Job, error) {
	names := make([]string, 0, len(c.Jobs))
	for i := range c.Jobs {
		if c.Jobs[i].Name == name {
			return &c.Jobs[i], nil
		}
		names = append(names, c.Jobs[i].Name)
	}
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%w %s (known jobs: %s)", ErrUnknownJob, quote(name), known)
}

// Lang returns the language of the job's reports: its own language when set,
// otherwise report.language.
func (j *Job) Lang(c *Config) string {
	if j.Language != "" || c == nil {
		return j.Language
	}
	return c.Report.Language
}

// unknownKeys reports the keys the file sets that Config has no field for.
// Only the outermost unknown key of a table is reported, and keys inside
// [[jobs]] get the job's index: jobs[1].nmae.
func unknownKeys(md toml.MetaData) []Problem {
	undecoded := make(map[string]bool)
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	if len(undecoded) == 0 {
		return nil
	}
	var (
		problems []Problem
		reported []string
		job      = -1
	)
	for _, k := range md.Keys() {
		if len(k) == 1 && k[0] == "jobs" && md.Type("jobs") == "ArrayHash" {
			job++
		}
		s := k.String()
		if !undecoded[s] || hasPrefixKey(s, reported) {
			continue
		}
		reported = append(reported, s)
		key := s
		if k[0] == "jobs" && len(k) > 1 && job >= 0 {
			key = fmt.Sprintf("jobs[%d].%s", job, toml.Key(k[1:]).String())
		}
		msg := "unknown key"
		if h, ok := hints[s]; ok {
			msg += "; " + h
		}
		problems = append(problems, Problem{Key: key, Message: msg})
	}
	return problems
}

// hints are said after "unknown key" for keys that are easily written by
// mistake.
var hints = map[string]string{
	"smtp.password": "the password is not written in this file; name an environment variable with password_env, or a file with password_file",
	"smtp.user":     "did you mean username?",
	"jobs.to":       "did you mean recipients?",
	// [cluster] lock and its settings were removed: the ledger's claims are the
	// one mechanism that keeps a period to one replica.
	"cluster.lock":          removedLock,
	"cluster.dsn_env":       removedLock,
	"cluster.redis_addr":    removedLock,
	"cluster.redis_url_env": removedLock,
	"cluster.key_prefix":    removedLock,
}

// removedLock is the hint of the removed [cluster] lock settings.
const removedLock = `removed: replicas need no lock; sharing a PostgreSQL ledger (state.driver = "postgres"), its claims keep every period to one replica; delete the key (docs/operations.md)`

// notTables reports map-valued keys written as a plain value. The decoder
// skips those silently (targets = 5 decodes to no targets).
func notTables(md toml.MetaData) []Problem {
	var problems []Problem
	for _, k := range []toml.Key{{"targets"}, {"source", "tables"}} {
		if t := md.Type(k...); t != "" && t != "Hash" {
			problems = append(problems, Problem{Key: k.String(), Message: "must be a table"})
		}
	}
	return problems
}

// hasPrefixKey reports whether key is inside one of the tables in parents.
func hasPrefixKey(key string, parents []string) bool {
	for _, p := range parents {
		if strings.HasPrefix(key, p+".") {
			return true
		}
	}
	return false
}

var (
	lineKey  = regexp.MustCompile(`(?s)^toml: (?:line (\d+) )?(?:\(last key "((?:[^"\\]|\\.)*)"\): )?(.*)$`)
	badType  = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (.+)$`)
	notTable = regexp.MustCompile(`^type mismatch for \S+: expected (table) but found (.+)$`)
)

// decodeError turns an error of the TOML decoder into a *DecodeError with
// the file name and line. md is what the decoder returned with the error.
func decodeError(name string, md toml.MetaData, err error) error {
	de := &DecodeError{File: name, Message: err.Error(), Err: err}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		de.Line = pe.Position.Line
		de.Message = pe.Message
		// The file parsed, and a value was refused, such as a bad duration:
		// LastKey is its key. In a syntax error it is only the key before.
		if len(md.Keys()) > 0 {
			de.Key = pe.LastKey
		}
		return de
	}
	// Type mismatches are plain errors: toml: line 3 (last key "report.company"): incompatible types: ...
	if m := lineKey.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &de.Line)
		de.Key = strings.ReplaceAll(m[2], `\"`, `"`)
		de.Message = m[3]
		if t := badType.FindStringSubmatch(m[3]); t != nil {
			de.Message = fmt.Sprintf("wrong type: got %s, want %s", tomlType(t[1]), tomlType(t[2]))
		} else if t := notTable.FindStringSubmatch(m[3]); t != nil {
			de.Message = fmt.Sprintf("wrong type: got %s, want %s", tomlType(t[2]), t[1])
		}
	}
	return de
}

// tomlType names a Go type, as the decoder writes it, the way a TOML author
// knows it.
func tomlType(goType string) string {
	switch goType {
	case "int64", "integer":
		return "integer"
	case "float64", "float":
		return "float"
	case "bool", "boolean":
		return "boolean"
	case "string":
		return "string"
	case "[]any", "slice":
		return "array"
	case "map[string]any", "map":
		return "table"
	case "[]map[string]any":
		return "array of tables"
	case "time.Time":
		return "datetime"
	case "primitive (string-like)": // a type read with UnmarshalText, such as Duration
		return "string"
	}
	return goType
}
