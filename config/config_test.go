package config

import (
	"encoding"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testdata returns the absolute path of a file or folder in testdata.
func testdata(t *testing.T, elem ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var ignoreLocation = cmpopts.IgnoreFields(Report{}, "Location")

// revealSecrets makes cmp compare and show a Secret by its value: a test
// has to see which password was read.
var revealSecrets = cmp.Transformer("Reveal", Secret.Reveal)

func TestLoad(t *testing.T) {
	c, err := Load("testdata/valid.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: testdata(t, "valid.toml"),
		Dir:  testdata(t),
		Report: Report{
			Company:     "Test B.V.",
			Timezone:    "Europe/Amsterdam",
			Currency:    "USD",
			Language:    "nl",
			OutputDir:   testdata(t, "out"),
			Logo:        testdata(t, "logo.png"),
			TemplateDir: testdata(t, "templates"),
		},
		Source: Source{
			Type:      "csv",
			Dir:       testdata(t, "data"),
			Delimiter: ";",
			Decimal:   ",",
			Tables: map[string]TableSource{
				"orders": {File: testdata(t, "data", "export_orders.csv")},
			},
		},
		KPI:     KPI{CLVLifespanYears: 2.5},
		Targets: map[string]float64{"revenue": 100000, "churn_rate": 0.05, "sales_growth": -0.1},
		SMTP: SMTP{
			Host:            "smtp.example.nl",
			Port:            2525,
			From:            "KPI-rapportage <rapportage@voorbeeld.nl>",
			TLS:             "tls",
			Username:        "rapportage",
			PasswordFile:    testdata(t, "smtp-password"),
			Timeout:         Duration{45 * time.Second},
			MaxAttachmentMB: 10,
			Password:        "correct horse battery staple",
		},
		Delivery: Delivery{
			Mode:       "smtp",
			OutboxDir:  testdata(t, "mail"),
			Retries:    0,
			Backoff:    Duration{time.Minute},
			MaxBackoff: Duration{time.Hour},
			Operators:  []string{"beheer@example.nl", "Ops <ops@example.nl>"},
			// Set in the file, unlike every other default.
			ResumeInterval: Duration{30 * time.Minute},
		},
		State:   State{Driver: "sqlite", Path: testdata(t, "state", "ledger.db")},
		Cluster: defaultCluster(),
		Log:     Log{Format: "json", Level: "debug"},
		Jobs: []Job{
			{
				Name: "monthly", Period: "month", Schedule: "0 7 1 * *", Formats: []string{"xlsx", "pdf"}, Filename: "{{job}}-{{period}}",
				Subject: DefaultSubject, Timeout: Duration{15 * time.Minute}, CatchUp: "latest", CatchUpMax: 12,
			},
			{
				Name: "q", Period: "quarter", Schedule: "30 6 1 1,4,7,10 *", Formats: []string{"pdf"}, Template: "quarter-board", Filename: "{{company}} {{ period }}", Language: "en",
				Recipients: []string{"Directie <directie@example.nl>", "sales@example.nl"},
				CC:         []string{"controller@example.nl"},
				BCC:        []string{"archief@example.nl"},
				ReplyTo:    []string{"sales-ops@example.nl"},
				Subject:    "{{.Title}} {{.Label}}",
				Timeout:    Duration{20 * time.Minute},
				CatchUp:    "all",
				CatchUpMax: 24,
			},
		},
	}
	if diff := cmp.Diff(want, c, ignoreLocation, revealSecrets); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if c.Report.Location == nil || c.Report.Location.String() != "Europe/Amsterdam" {
		t.Errorf("Location = %v, want Europe/Amsterdam", c.Report.Location)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate of a loaded config: %v", err)
	}
}

// defaultCluster is [cluster] left out: this process's node name.
func defaultCluster() Cluster {
	return Cluster{Lease: Duration{2 * time.Minute}, Node: DefaultNode()}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nothing-here.toml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "nothing-here.toml") {
		t.Errorf("err = %q, want the file named", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: testdata(t, "minimal.toml"),
		Dir:  testdata(t),
		Report: Report{
			Company:   "Test B.V.",
			Timezone:  "UTC",
			Currency:  "EUR",
			Language:  "en",
			OutputDir: testdata(t, "reports"),
		},
		Source: Source{Type: "csv", Dir: testdata(t, "data"), Delimiter: ",", Decimal: "."},
		SMTP: SMTP{
			Port:            587,
			TLS:             "starttls",
			Timeout:         Duration{30 * time.Second},
			MaxAttachmentMB: 20,
		},
		Delivery: Delivery{
			Mode:           "outbox",
			OutboxDir:      testdata(t, "outbox"),
			Retries:        4,
			Backoff:        Duration{30 * time.Second},
			MaxBackoff:     Duration{10 * time.Minute},
			ResumeInterval: Duration{10 * time.Minute},
		},
		State:   State{Driver: "sqlite", Path: testdata(t, "kpireport-state.db")},
		Cluster: defaultCluster(),
		Log:     Log{Format: "text", Level: "info"},
		Jobs: []Job{
			{
				Name: "monthly", Period: "month", Schedule: "0 7 1 * *", Formats: []string{"xlsx", "pdf"}, Filename: "{{job}}-{{period}}",
				Subject: "{{.Company}}: {{.Title}} {{.Label}}", Timeout: Duration{15 * time.Minute}, CatchUp: "latest", CatchUpMax: 12,
			},
		},
	}
	if diff := cmp.Diff(want, c, ignoreLocation, revealSecrets); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if c.Report.Location != time.UTC {
		t.Errorf("Location = %v, want UTC", c.Report.Location)
	}
	if got := c.Jobs[0].Lang(c); got != "en" {
		t.Errorf("Lang = %q, want en", got)
	}
	// The defaults are copies: changing one job's formats changes no other.
	c.Jobs[0].Formats[0] = "changed"
	if defaultFormats[0] != "xlsx" {
		t.Errorf("defaultFormats changed through a job: %v", defaultFormats)
	}
}

func TestSQLiteSource(t *testing.T) {
	c, err := Load("testdata/sqlite.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Source
	if s.Path != testdata(t, "sales.db") {
		t.Errorf("Path = %q, want it resolved", s.Path)
	}
	if s.Delimiter != "" || s.Decimal != "" {
		t.Errorf("csv defaults applied to sqlite: delimiter %q decimal %q", s.Delimiter, s.Decimal)
	}
	if s.Tables["customers"].Table != "crm.customers" || !strings.Contains(s.Tables["deals"].Query, "FROM opportunities") {
		t.Errorf("Tables = %+v", s.Tables)
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	abs := t.TempDir()
	for _, d := range []string{"in/data", "tpl"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	png, err := os.ReadFile("testdata/logo.png")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"in/data/o.csv":     nil,
		"in/data/sub/c.csv": nil,
		"logo.png":          png,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	absLeads := filepath.Join(abs, "leads.csv")
	if err := os.WriteFile(absLeads, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	data := `
[report]
company = "Test B.V."
output_dir = "../elsewhere/reports"
logo = "./logo.png"
template_dir = "tpl/"
[source]
type = "csv"
dir = "in/data"
[source.tables.orders]
file = "o.csv"
[source.tables.customers]
file = "sub/c.csv"
[source.tables.leads]
file = "` + filepath.ToSlash(absLeads) + `"
[[jobs]]
name = "m"
period = "month"
schedule = "0 7 1 * *"
`
	c, err := Parse([]byte(data), dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"output_dir":   c.Report.OutputDir,
		"logo":         c.Report.Logo,
		"template_dir": c.Report.TemplateDir,
		"source.dir":   c.Source.Dir,
		"orders":       c.Source.Tables["orders"].File,
		"customers":    c.Source.Tables["customers"].File,
		"leads":        c.Source.Tables["leads"].File,
	}
	want := map[string]string{
		"output_dir":   filepath.Join(filepath.Dir(dir), "elsewhere", "reports"),
		"logo":         filepath.Join(dir, "logo.png"),
		"template_dir": filepath.Join(dir, "tpl"),
		"source.dir":   filepath.Join(dir, "in", "data"),
		"orders":       filepath.Join(dir, "in", "data", "o.csv"),
		"customers":    filepath.Join(dir, "in", "data", "sub", "c.csv"),
		"leads":        absLeads,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved paths (-want +got):\n%s", diff)
	}
	if c.Dir != dir || c.Path != "" {
		t.Errorf("Dir, Path = %q, %q; want %q, empty", c.Dir, c.Path, dir)
	}
}

// base is a valid configuration; the problem cases each change a little of it.
const base = `
[report]
company = "Test B.V."

[source]
type = "csv"
dir = "data"

[[jobs]]
name = "monthly"
period = "month"
schedule = "0 7 1 * *"
`

func TestProblems(t *testing.T) {
	tests := []struct {
		name    string
		replace []string // old, new pairs applied to base
		add     string   // appended to base (after the job: use [[jobs]] or a table header)
		key     string
		message string // part of the message
	}{
		// unknown and misplaced keys
		{name: "unknown key", replace: []string{`dir = "data"`, "dir = \"data\"\ntabel = \"x\""}, key: "source.tabel", message: "unknown key"},
		{name: "unknown section reported once", add: "[reprot]\ncompany = \"x\"\nlanguage = \"nl\"", key: "reprot", message: "unknown key"},
		{name: "unknown key in a job", add: "[[jobs]]\nname = \"w\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"\nformat = [\"pdf\"]", key: "jobs[1].format", message: "unknown key"},
		{name: "unknown key in a table override", add: "[source.tables.orders]\nfiel = \"o.csv\"", key: "source.tables.orders.fiel", message: "unknown key"},
		{name: "targets not a table", replace: []string{"[report]", "targets = 5\n[report]"}, key: "targets", message: "must be a table"},

		// source: encodings and Dutch exports
		{name: "unknown encoding", replace: []string{`dir = "data"`, "dir = \"data\"\nencoding = \"latin9\""}, key: "source.encoding", message: `"latin9" is not supported (utf-8, windows-1252, iso-8859-1)`},
		{name: "encoding with sqlite", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"\nencoding = \"windows-1252\"", `dir = "data"`, ""}, key: "source.encoding", message: `does not apply to source type "sqlite"`},
		{name: "date_format without a day", replace: []string{`dir = "data"`, "dir = \"data\"\ndate_format = \"01-2006\""}, key: "source.date_format", message: `"01-2006" is not a Go date layout`},
		{name: "date_format not a layout", replace: []string{`dir = "data"`, "dir = \"data\"\ndate_format = \"DD-MM-YYYY\""}, key: "source.date_format", message: `"DD-MM-YYYY" is not a Go date layout`},
		{name: "date_format with postgres", replace: []string{`type = "csv"`, "type = \"postgres\"\ndsn_env = \"HOME\"\ndate_format = \"02-01-2006\"", `dir = "data"`, ""}, key: "source.date_format", message: `does not apply to source type "postgres"`},
		{name: "orphan_orders", replace: []string{`dir = "data"`, "dir = \"data\"\norphan_orders = \"ignore\""}, key: "source.orphan_orders", message: `"ignore" is not one of "warn", "error"`},
		{name: "values of an unknown column", add: "[source.values]\nsoort = { nieuw = \"new\" }", key: "source.values.soort", message: "is not a column with a fixed set of values; one of"},
		{name: "values to an unknown value", add: "[source.values]\nkind = { nieuw = \"new\", oud = \"old\" }", key: "source.values.kind.oud", message: `"old" is not a value of kind; one of "new", "repeat", "upsell", "cross_sell"`},

		// report
		{name: "company missing", replace: []string{`company = "Test B.V."`, ""}, key: "report.company", message: "is required"},
		{name: "company blank", replace: []string{`company = "Test B.V."`, `company = "  "`}, key: "report.company", message: "is required"},
		{name: "bad timezone", replace: []string{"[report]", "[report]\ntimezone = \"Europe/Amsterdm\""}, key: "report.timezone", message: `"Europe/Amsterdm" is not a time zone`},
		{name: "empty timezone", replace: []string{"[report]", "[report]\ntimezone = \"\""}, key: "report.timezone", message: "is empty"},
		{name: "Local timezone", replace: []string{"[report]", "[report]\ntimezone = \"Local\""}, key: "report.timezone", message: "depends on the host"},
		{name: "currency lower case", replace: []string{"[report]", "[report]\ncurrency = \"eur\""}, key: "report.currency", message: `"eur" is not an ISO 4217 code`},
		{name: "currency too long", replace: []string{"[report]", "[report]\ncurrency = \"EURO\""}, key: "report.currency", message: "not an ISO 4217 code"},
		{name: "unknown currency", replace: []string{"[report]", "[report]\ncurrency = \"ABC\""}, key: "report.currency", message: "not a known ISO 4217 currency"},
		{name: "bad language", replace: []string{"[report]", "[report]\nlanguage = \"de\""}, key: "report.language", message: `"de" is not a report language; one of "en", "nl"`},
		{name: "empty output_dir", replace: []string{"[report]", "[report]\noutput_dir = \"\""}, key: "report.output_dir", message: "is empty"},
		{name: "output_dir is a file", replace: []string{"[report]", "[report]\noutput_dir = \"logo.png\""}, key: "report.output_dir", message: "is not a folder"},
		{name: "logo missing", replace: []string{"[report]", "[report]\nlogo = \"nologo.png\""}, key: "report.logo", message: `nologo.png" does not exist`},
		{name: "logo not an image", replace: []string{"[report]", "[report]\nlogo = \"not-an-image.png\""}, key: "report.logo", message: "is not a PNG or JPEG image"},
		{name: "logo is a folder", replace: []string{"[report]", "[report]\nlogo = \"data\""}, key: "report.logo", message: "is a folder"},
		{name: "template_dir missing", replace: []string{"[report]", "[report]\ntemplate_dir = \"tpl\""}, key: "report.template_dir", message: `tpl" does not exist`},
		{name: "template_dir is a file", replace: []string{"[report]", "[report]\ntemplate_dir = \"logo.png\""}, key: "report.template_dir", message: "is not a folder"},

		// source
		{name: "type missing", replace: []string{`type = "csv"`, ""}, key: "source.type", message: `is required; one of "csv", "sqlite"`},
		{name: "unknown type", replace: []string{`type = "csv"`, `type = "oracle"`, `dir = "data"`, ""}, key: "source.type", message: `"oracle" is not a source type; one of "csv", "sqlite", "postgres", "mysql"`},
		{name: "csv without dir", replace: []string{`dir = "data"`, ""}, key: "source.dir", message: `is required for source type "csv"`},
		{name: "csv dir missing", replace: []string{`dir = "data"`, `dir = "nodata"`}, key: "source.dir", message: `nodata" does not exist`},
		{name: "csv dir is a file", replace: []string{`dir = "data"`, `dir = "logo.png"`}, key: "source.dir", message: "is not a folder"},
		{name: "path with csv", replace: []string{`dir = "data"`, "dir = \"data\"\npath = \"sales.db\""}, key: "source.path", message: `does not apply to source type "csv"`},
		{name: "sqlite without path", replace: []string{`type = "csv"`, `type = "sqlite"`, `dir = "data"`, ""}, key: "source.path", message: `is required for source type "sqlite"`},
		{name: "dir with sqlite", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\""}, key: "source.dir", message: `does not apply to source type "sqlite"`},
		{name: "delimiter with sqlite", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"\ndelimiter = \";\"", `dir = "data"`, ""}, key: "source.delimiter", message: `does not apply to source type "sqlite"`},
		{name: "sqlite file missing", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"no.db\"", `dir = "data"`, ""}, key: "source.path", message: `no.db" does not exist`},
		{name: "sqlite file not a database", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"not-a-database.db\"", `dir = "data"`, ""}, key: "source.path", message: "is not an SQLite database"},
		{name: "statement_timeout with csv", replace: []string{`dir = "data"`, "dir = \"data\"\nstatement_timeout = \"1m\""}, key: "source.statement_timeout", message: `does not apply to source type "csv"`},
		{name: "delimiter two characters", replace: []string{`dir = "data"`, "dir = \"data\"\ndelimiter = \";;\""}, key: "source.delimiter", message: `";;" is not one ASCII character`},
		{name: "delimiter empty", replace: []string{`dir = "data"`, "dir = \"data\"\ndelimiter = \"\""}, key: "source.delimiter", message: `"" is not one ASCII character`},
		{name: "delimiter not ASCII", replace: []string{`dir = "data"`, "dir = \"data\"\ndelimiter = \"§\""}, key: "source.delimiter", message: `"§" is not one ASCII character`},
		{name: "delimiter quote", replace: []string{`dir = "data"`, "dir = \"data\"\ndelimiter = '\"'"}, key: "source.delimiter", message: "cannot be a delimiter"},
		{name: "delimiter newline", replace: []string{`dir = "data"`, "dir = \"data\"\ndelimiter = \"\\n\""}, key: "source.delimiter", message: "cannot be a delimiter"},
		{name: "bad decimal", replace: []string{`dir = "data"`, "dir = \"data\"\ndecimal = \"'\""}, key: "source.decimal", message: "is not a decimal separator"},
		{name: "decimal equals delimiter", replace: []string{`dir = "data"`, "dir = \"data\"\ndecimal = \",\""}, key: "source.decimal", message: `"," is also the delimiter`},
		{name: "unknown table", add: "[source.tables.orderz]\nfile = \"orders.csv\"", key: "source.tables.orderz", message: "unknown table; one of \"orders\", \"customers\""},
		{name: "table file missing", add: "[source.tables.orders]\nfile = \"o.csv\"", key: "source.tables.orders.file", message: filepath.Join("data", "o.csv") + `" does not exist`},
		{name: "table name with csv", add: "[source.tables.orders]\ntable = \"o\"", key: "source.tables.orders.table", message: `does not apply to source type "csv"`},
		{name: "file with sqlite", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"", `dir = "data"`, ""}, add: "[source.tables.orders]\nfile = \"o.csv\"", key: "source.tables.orders.file", message: `does not apply to source type "sqlite"`},
		{name: "bad table name", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"", `dir = "data"`, ""}, add: "[source.tables.orders]\ntable = \"orders; DROP TABLE x\"", key: "source.tables.orders.table", message: "is not a table name"},
		{name: "query not a select", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"", `dir = "data"`, ""}, add: "[source.tables.orders]\nquery = \"DELETE FROM orders\"", key: "source.tables.orders.query", message: "is not a SELECT statement"},
		{name: "table and query", replace: []string{`type = "csv"`, "type = \"sqlite\"\npath = \"sales.db\"", `dir = "data"`, ""}, add: "[source.tables.orders]\ntable = \"o\"\nquery = \"SELECT 1\"", key: "source.tables.orders", message: "sets both table and query"},

		// kpi and targets
		{name: "negative lifespan", add: "[kpi]\nclv_lifespan_years = -1", key: "kpi.clv_lifespan_years", message: "-1 is not a lifespan"},
		{name: "zero lifespan", add: "[kpi]\nclv_lifespan_years = 0", key: "kpi.clv_lifespan_years", message: "0 is not a lifespan"},
		{name: "infinite lifespan", add: "[kpi]\nclv_lifespan_years = inf", key: "kpi.clv_lifespan_years", message: "is not a lifespan"},
		{name: "unknown target", add: "[targets]\nfoo = 1", key: "targets.foo", message: `unknown KPI; one of "revenue", "cac"`},
		{name: "ratio target as percentage", add: "[targets]\nchurn_rate = 5", key: "targets.churn_rate", message: "5 is above 1; ratios are fractions (0.05 = 5 %)"},
		{name: "negative target", add: "[targets]\nrevenue = -10", key: "targets.revenue", message: "-10 is negative"},
		{name: "nan target", add: "[targets]\nrevenue = nan", key: "targets.revenue", message: "NaN is not a target"},

		// jobs
		{name: "no jobs", replace: []string{"[[jobs]]\nname = \"monthly\"\nperiod = \"month\"\nschedule = \"0 7 1 * *\"", ""}, key: "jobs", message: "at least one [[jobs]] entry is required"},
		{name: "job without name", replace: []string{`name = "monthly"`, ""}, key: "jobs[0].name", message: "is required"},
		{name: "bad job name", add: "[[jobs]]\nname = \"week ly\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"", key: "jobs[1].name", message: `"week ly" is not a job name`},
		{name: "duplicate job name", add: "[[jobs]]\nname = \"monthly\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"", key: "jobs[1].name", message: `"monthly" is already the name of jobs[0]`},
		{name: "period missing", replace: []string{`period = "month"`, ""}, key: "jobs[monthly].period", message: `is required; one of "month", "week", "quarter"`},
		{name: "bad period", replace: []string{`period = "month"`, `period = "year"`}, key: "jobs[monthly].period", message: `"year" is not a period`},
		{name: "schedule missing", replace: []string{`schedule = "0 7 1 * *"`, ""}, key: "jobs[monthly].schedule", message: "is required"},
		{name: "schedule four fields", replace: []string{`schedule = "0 7 1 * *"`, `schedule = "0 7 * *"`}, key: "jobs[monthly].schedule", message: `"0 7 * *" is not a cron expression: expected exactly 5 fields`},
		{name: "schedule with seconds", replace: []string{`schedule = "0 7 1 * *"`, `schedule = "0 0 7 1 * *"`}, key: "jobs[monthly].schedule", message: "is not a cron expression"},
		{name: "schedule out of range", replace: []string{`schedule = "0 7 1 * *"`, `schedule = "0 25 1 * *"`}, key: "jobs[monthly].schedule", message: "is not a cron expression"},
		{name: "schedule with zone", replace: []string{`schedule = "0 7 1 * *"`, `schedule = "CRON_TZ=Europe/Amsterdam 0 7 1 * *"`}, key: "jobs[monthly].schedule", message: "sets a time zone; jobs run in report.timezone"},
		{name: "schedule interval", replace: []string{`schedule = "0 7 1 * *"`, `schedule = "@every 1h"`}, key: "jobs[monthly].schedule", message: "is an interval"},
		{name: "no formats", add: "formats = []", key: "jobs[monthly].formats", message: "lists no format"},
		{name: "unknown format", add: `formats = ["xlsx", "csv"]`, key: "jobs[monthly].formats[1]", message: `"csv" is not a format; one of "xlsx", "pdf"`},
		{name: "duplicate format", add: `formats = ["pdf", "pdf"]`, key: "jobs[monthly].formats[1]", message: `"pdf" is listed twice`},
		{name: "bad template name", add: `template = "../evil"`, key: "jobs[monthly].template", message: "is not a template name"},
		{name: "filename with slash", add: `filename = "a/{{period}}"`, key: "jobs[monthly].filename", message: "contains a path separator"},
		{name: "filename with backslash", add: `filename = 'a\{{period}}'`, key: "jobs[monthly].filename", message: "contains a path separator"},
		{name: "filename with dot dot", add: `filename = "{{job}}..{{period}}"`, key: "jobs[monthly].filename", message: `contains ".."`},
		{name: "filename unknown placeholder", add: `filename = "{{job}}-{{date}}"`, key: "jobs[monthly].filename", message: "uses {{date}}; only {{job}}, {{period}} and {{company}} are known"},
		{name: "filename unclosed", add: `filename = "{{job"`, key: "jobs[monthly].filename", message: "has {{ without }}"},
		{name: "filename stray close", add: `filename = "job}}"`, key: "jobs[monthly].filename", message: "has }} without {{"},
		{name: "filename bad character", add: `filename = "{{job}}:{{period}}"`, key: "jobs[monthly].filename", message: "not allowed in file names"},
		{name: "company with slash in filename", replace: []string{`company = "Test B.V."`, `company = "A/B"`}, add: `filename = "{{company}}-{{period}}"`, key: "jobs[monthly].filename", message: "contains a path separator"},
		{name: "bad job language", add: `language = "fr"`, key: "jobs[monthly].language", message: `"fr" is not a report language`},
	}
	dir := testdata(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base
			for i := 0; i+1 < len(tt.replace); i += 2 {
				if !strings.Contains(data, tt.replace[i]) {
					t.Fatalf("base has no %q", tt.replace[i])
				}
				data = strings.Replace(data, tt.replace[i], tt.replace[i+1], 1)
			}
			if tt.add != "" {
				data += tt.add + "\n"
			}
			_, err := Parse([]byte(data), dir)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError\n%s", err, data)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err does not wrap ErrInvalid")
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("want 1 problem, got %d:\n%v", len(ve.Problems), err)
			}
			p := ve.Problems[0]
			if p.Key != tt.key || !strings.Contains(p.Message, tt.message) {
				t.Errorf("problem = %s\nwant key %s with message containing %q", p, tt.key, tt.message)
			}
			if want := "config.toml: " + tt.key + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err, want)
			}
		})
	}
}

// The keys of a Dutch Excel export are accepted as the example documents them.
func TestDutchExportSource(t *testing.T) {
	data := strings.Replace(base, `dir = "data"`, `dir = "data"
delimiter = ";"
decimal = ","
encoding = "windows-1252"
date_format = "2-1-2006 15:04"
orphan_orders = "error"
[source.values]
kind = { nieuw = "new", herhaling = "repeat", Upsell = "UPSELL" }
status = { gewonnen = "won" }`, 1)
	c, err := Parse([]byte(data), testdata(t))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Source
	if s.Encoding != "windows-1252" || s.DateFormat != "2-1-2006 15:04" || s.OrphanOrders != "error" || s.Values["kind"]["nieuw"] != "new" || s.Values["status"]["gewonnen"] != "won" {
		t.Errorf("source = %+v", s)
	}
}

func TestMultipleProblems(t *testing.T) {
	_, err := Load("testdata/problems.toml")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	want := []Problem{
		{"source.tabel", "unknown key"},
		{"report.company", "is required"},
		{"report.timezone", `"Europe/Amsterdm" is not a time zone: unknown time zone Europe/Amsterdm`},
		{"report.currency", `"eur" is not an ISO 4217 code (3 upper-case letters, such as "EUR")`},
		{"report.language", `"de" is not a report language; one of "en", "nl"`},
		{"source.dir", `"` + testdata(t, "missing") + `" does not exist`},
		{"targets.churn_rate", "5 is above 1; ratios are fractions (0.05 = 5 %)"},
		{"targets.foo", `unknown KPI; one of "revenue", "cac", "clv", "avg_sales_cycle_days", "sales_growth", "aov", "arpc", "pipeline_velocity", "churn_rate", "retention_rate", "mrr", "profit_margin", "lead_conversion_rate", "bookings", "upsell_cross_sell_revenue", "qualified_leads", "sales_calls", "sales"`},
		{"jobs[0].schedule", `"0 7 * *" is not a cron expression: expected exactly 5 fields, found 4: [0 7 * *]`},
		{"jobs[1].name", `"monthly" is already the name of jobs[0]`},
		{"jobs[1].period", `"year" is not a period; one of "month", "week", "quarter"`},
		{"jobs[1].formats[1]", `"pdf" is listed twice`},
		{"jobs[1].formats[2]", `"docx" is not a format; one of "xlsx", "pdf"`},
		{"jobs[2].name", `"bad name" is not a job name (letters, digits, _ and -)`},
		{"jobs[2].schedule", `"TZ=UTC 0 7 * * 1" sets a time zone; jobs run in report.timezone`},
		{"jobs[2].filename", `"../{{job}}-{{date}}" uses {{date}}; only {{job}}, {{period}} and {{company}} are known`},
	}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if ve.File != filepath.Join("testdata", "problems.toml") {
		t.Errorf("File = %q, want the path as given to Load", ve.File)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Error() has %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	if wantLine := ve.File + `: jobs[0].schedule: "0 7 * *" is not a cron expression: expected exactly 5 fields, found 4: [0 7 * *]`; lines[8] != wantLine {
		t.Errorf("line 9 = %q\nwant      %q", lines[8], wantLine)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		file string
		line int
		want string
	}{
		{"syntax.toml", 11, "syntax.toml line 11: "},
		{"wrong-type.toml", 12, "wrong-type.toml line 12: jobs.formats: wrong type: got string, want array"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tt.file))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if !errors.Is(err, ErrDecode) || errors.Is(err, ErrInvalid) {
				t.Errorf("err wraps ErrDecode %v, ErrInvalid %v", errors.Is(err, ErrDecode), errors.Is(err, ErrInvalid))
			}
			if de.Line != tt.line {
				t.Errorf("Line = %d, want %d", de.Line, tt.line)
			}
			if got := err.Error(); !strings.HasPrefix(got, filepath.Join("testdata", tt.want)) {
				t.Errorf("Error() = %q\nwant prefix %q", got, filepath.Join("testdata", tt.want))
			}
		})
	}

	t.Run("inline", func(t *testing.T) {
		tests := []struct{ data, want string }{
			{"[report]\ncompany = 3\n", "config.toml line 2: report.company: wrong type: got integer, want string"},
			{"\n\nreport = true\n", "config.toml line 3: report: wrong type: got boolean, want table"},
			{"[targets]\nrevenue = \"lots\"\n", "config.toml line 2: targets.revenue: wrong type: got string, want float"},
			{"[report]\ncompany = \"a\"\ncompany = \"b\"\n", "config.toml line 3: "},
		}
		for _, tt := range tests {
			_, err := Parse([]byte(tt.data), t.TempDir())
			if !errors.Is(err, ErrDecode) || !strings.HasPrefix(fmtErr(err), tt.want) {
				t.Errorf("Parse(%q) = %v\nwant prefix %q", tt.data, err, tt.want)
			}
		}
	})
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestExampleConfig checks that config.example.toml is valid and documents
// every key.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "kpireport-demo", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.Company != "Voorbeeld B.V." || c.Report.Location.String() != "Europe/Amsterdam" || c.Source.Dir != filepath.Join(dir, "kpireport-demo", "data") {
		t.Errorf("report %+v, source %+v", c.Report, c.Source)
	}
	for _, name := range []string{"monthly", "weekly"} {
		if _, err := c.Job(name); err != nil {
			t.Error(err)
		}
	}

	if c.Delivery.Mode != "outbox" || c.SMTP.Password != "" {
		t.Errorf("delivery mode %q, password read %v; want outbox and none", c.Delivery.Mode, c.SMTP.Password != "")
	}
	m, err := c.Job("monthly")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) == 0 || len(m.CC) == 0 || len(m.BCC) == 0 {
		t.Errorf("monthly job has no recipients, cc or bcc: %+v", m)
	}

	// Every key appears in its own table, set or commented out: "key =" or
	// "# key =".
	text := string(data)
	tables := exampleTables(text)
	for _, key := range tomlKeys(reflect.TypeOf(Config{}), "") {
		table, leaf, _ := strings.Cut(key, ".")
		if i := strings.LastIndex(leaf, "."); i >= 0 {
			leaf = leaf[i+1:]
		}
		if !strings.Contains(tables[table], "\n"+leaf+" = ") && !strings.Contains(tables[table], "\n# "+leaf+" = ") {
			t.Errorf("config.example.toml does not show %s", key)
		}
	}
	for _, id := range KPIIDs {
		if !strings.Contains(text, id) {
			t.Errorf("config.example.toml does not mention KPI %s", id)
		}
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// tomlKeys returns the toml keys of the struct's leaf fields, with the
// tables they are in: report.company, source.tables.file, jobs.subject. A
// type read from a string, such as Duration, is a leaf.
func tomlKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" || tag == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map || ft.Kind() == reflect.Pointer {
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String {
				break
			}
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textUnmarshaler) {
			keys = append(keys, tomlKeys(ft, prefix+tag+".")...)
			continue
		}
		if f.Type.Kind() == reflect.Map { // [targets]: its keys are KPI ids
			continue
		}
		keys = append(keys, prefix+tag)
	}
	return keys
}

// exampleHeader is a table header, commented out or not: [smtp], [[jobs]],
// # [source.tables.orders].
var exampleHeader = regexp.MustCompile(`^(?:# )?\[\[?([a-z_]+)[\].]`)

// exampleTables splits a TOML file into the text of each top-level table,
// by the first part of each header; a table's text runs until a header of
// another table. The text before the first header is under "".
func exampleTables(text string) map[string]string {
	tables := make(map[string]string)
	table := ""
	for _, line := range strings.SplitAfter(text, "\n") {
		if m := exampleHeader.FindStringSubmatch(line); m != nil {
			table = m[1]
		}
		tables[table] += line
	}
	return tables
}

func TestJob(t *testing.T) {
	c := &Config{Jobs: []Job{{Name: "monthly"}, {Name: "weekly"}}}
	j, err := c.Job("weekly")
	if err != nil || j != &c.Jobs[1] {
		t.Fatalf("Job(weekly) = %p, %v; want &c.Jobs[1]", j, err)
	}
	_, err = c.Job("daily")
	if !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("err = %v, want ErrUnknownJob", err)
	}
	if want := `config: unknown job "daily" (known jobs: monthly, weekly)`; err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	_, err = (&Config{}).Job("x")
	if err == nil || !strings.Contains(err.Error(), "known jobs: none") {
		t.Errorf("no jobs: err = %v", err)
	}
}

func TestLang(t *testing.T) {
	c := &Config{Report: Report{Language: "nl"}}
	tests := []struct {
		job  Job
		want string
	}{
		{Job{}, "nl"},
		{Job{Language: "en"}, "en"},
	}
	for _, tt := range tests {
		if got := tt.job.Lang(c); got != tt.want {
			t.Errorf("%+v.Lang = %q, want %q", tt.job, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := testdata(t)
	c := &Config{
		Dir:    dir,
		Report: Report{Company: "X", Timezone: "UTC", Currency: "EUR", Language: "en", OutputDir: "reports"},
		Source: Source{Type: "csv", Dir: "data", Delimiter: ",", Decimal: "."},
		Jobs:   []Job{{Name: "m", Period: "month", Schedule: "0 7 1 * *", Formats: []string{"pdf"}, Filename: DefaultFilename}},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Source.Dir != "data" {
		t.Errorf("Validate changed Source.Dir to %q", c.Source.Dir)
	}

	c.Report.Timezone = "Mars/Olympus"
	c.Jobs[0].Formats = nil
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Validate = %v, want 2 problems", err)
	}
	if ve.File != "config.toml" {
		t.Errorf("File = %q, want config.toml when Path is empty", ve.File)
	}
}

func TestKPIIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range KPIIDs {
		if seen[id] {
			t.Errorf("%s listed twice", id)
		}
		seen[id] = true
	}
	if len(KPIIDs) != 18 || KPIIDs[0] != "revenue" || KPIIDs[17] != "sales" {
		t.Errorf("KPIIDs = %v", KPIIDs)
	}
}

// TestValuesCut checks that messages quote what was written but do not repeat
// a long value in full.
func TestValuesCut(t *testing.T) {
	long := strings.Repeat("x", 500)
	_, err := Parse([]byte(strings.Replace(base, `period = "month"`, `period = "`+long+`"`, 1)), testdata(t))
	if err == nil || strings.Contains(err.Error(), long[:61]) || !strings.Contains(err.Error(), `"`+long[:60]+`"…`) {
		t.Errorf("err = %v, want the value cut to 60 characters", err)
	}
}

func TestJobTargets(t *testing.T) {
	const text = `
[report]
company = "X"
[source]
type = "csv"
dir = "."
[targets]
revenue = 100000
churn_rate = 0.03
[[jobs]]
name = "weekly"
period = "week"
schedule = "0 7 * * 1"
[jobs.targets]
revenue = 25000
`
	c, err := Parse([]byte(text), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := c.TargetsOf(&c.Jobs[0])
	want := map[string]float64{"revenue": 25000, "churn_rate": 0.03}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TargetsOf (-want +got):\n%s", diff)
	}

	bad := strings.Replace(text, "revenue = 25000", "revenu = 25000", 1)
	_, err = Parse([]byte(bad), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "jobs[weekly].targets.revenu: unknown KPI") {
		t.Errorf("unknown KPI in job targets: got %v", err)
	}
}
