package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// smtpMode turns base into a configuration that sends over SMTP; extra is
// added to [smtp].
func smtpMode(extra string) string {
	return base + "[smtp]\nhost = \"smtp.example.nl\"\nfrom = \"KPI <kpi@example.nl>\"\n" + extra + "\n[delivery]\nmode = \"smtp\"\n"
}

func TestDeliveryProblems(t *testing.T) {
	tests := []struct {
		name    string
		data    string // the whole file; base + add when empty
		add     string // appended to base (after the job: use a table header)
		key     string
		message string // part of the message
	}{
		// [smtp]
		{name: "host required for smtp", add: "[smtp]\nfrom = \"kpi@example.nl\"\n[delivery]\nmode = \"smtp\"", key: "smtp.host", message: `is required when delivery.mode is "smtp"`},
		{name: "from required for smtp", add: "[smtp]\nhost = \"smtp.example.nl\"\n[delivery]\nmode = \"smtp\"", key: "smtp.from", message: `is required when delivery.mode is "smtp"`},
		{name: "host with port", add: "[smtp]\nhost = \"smtp.example.nl:587\"", key: "smtp.host", message: `"smtp.example.nl:587" is not a host name or IP address; the port goes in smtp.port`},
		{name: "host as URL", add: "[smtp]\nhost = \"smtp://smtp.example.nl\"", key: "smtp.host", message: "is not a host name"},
		{name: "host with space", add: "[smtp]\nhost = \"smtp example.nl\"", key: "smtp.host", message: "is not a host name"},
		{name: "port zero", add: "[smtp]\nport = 0", key: "smtp.port", message: "0 is not a port (1 to 65535)"},
		{name: "port too high", add: "[smtp]\nport = 65536", key: "smtp.port", message: "65536 is not a port"},
		{name: "from not an address", add: "[smtp]\nfrom = \"rapportage\"", key: "smtp.from", message: `"rapportage" is not an email address: mail: missing '@' or angle-addr`},
		{name: "from with line break", add: "[smtp]\nfrom = \"kpi@example.nl\\r\\nBcc: x@example.nl\"", key: "smtp.from", message: "contains a line break"},
		{name: "from with two addresses", add: "[smtp]\nfrom = \"a@example.nl, b@example.nl\"", key: "smtp.from", message: "is not an email address"},
		{name: "unknown tls mode", add: "[smtp]\ntls = \"ssl\"", key: "smtp.tls", message: `"ssl" is not a TLS mode; one of "starttls", "tls", "none"`},
		{name: "empty tls mode", add: "[smtp]\ntls = \"\"", key: "smtp.tls", message: `"" is not a TLS mode`},
		{name: "no tls to a remote host", add: "[smtp]\nhost = \"smtp.example.nl\"\ntls = \"none\"", key: "smtp.tls", message: `allowed only for a loopback host (localhost, 127.0.0.0/8, ::1), not "smtp.example.nl"`},
		{name: "no tls to a private address", add: "[smtp]\nhost = \"10.0.0.25\"\ntls = \"none\"", key: "smtp.tls", message: "allowed only for a loopback host"},
		{name: "username without password", add: "[smtp]\nusername = \"kpi\"", key: "smtp.username", message: "is set, but there is no password; set smtp.password_env or smtp.password_file"},
		{name: "password without username", add: "[smtp]\npassword_env = \"KPIREPORT_SMTP_PASSWORD\"", key: "smtp.username", message: "is required with smtp.password_env or smtp.password_file"},
		{name: "password from env and file", add: "[smtp]\nusername = \"kpi\"\npassword_env = \"KPIREPORT_SMTP_PASSWORD\"\npassword_file = \"smtp-password\"", key: "smtp", message: "sets both password_env and password_file; use one"},
		{name: "password_env not a name", add: "[smtp]\nusername = \"kpi\"\npassword_env = \"my password\"", key: "smtp.password_env", message: "is not the name of an environment variable"},
		{name: "password in the file", add: "[smtp]\npassword = \"hunter2\"", key: "smtp.password", message: "unknown key; the password is not written in this file"},
		{name: "smtp timeout zero", add: "[smtp]\ntimeout = \"0s\"", key: "smtp.timeout", message: `0s is not a timeout; want a duration > 0, such as "30s"`},
		{name: "smtp timeout negative", add: "[smtp]\ntimeout = \"-5s\"", key: "smtp.timeout", message: "-5s is not a timeout"},
		{name: "max attachment zero", add: "[smtp]\nmax_attachment_mb = 0", key: "smtp.max_attachment_mb", message: "0 is not a size; want megabytes > 0"},

		// [delivery]
		{name: "unknown mode", add: "[delivery]\nmode = \"email\"", key: "delivery.mode", message: `"email" is not a delivery mode; one of "outbox", "smtp"`},
		{name: "empty mode", add: "[delivery]\nmode = \"\"", key: "delivery.mode", message: "is empty"},
		{name: "empty outbox", add: "[delivery]\noutbox_dir = \"\"", key: "delivery.outbox_dir", message: `is empty; leave it out for "outbox"`},
		{name: "outbox is a file", add: "[delivery]\noutbox_dir = \"logo.png\"", key: "delivery.outbox_dir", message: "is not a folder"},
		{name: "negative retries", add: "[delivery]\nretries = -1", key: "delivery.retries", message: "-1 is negative"},
		{name: "zero backoff", add: "[delivery]\nbackoff = \"0s\"", key: "delivery.backoff", message: "0s is not a backoff"},
		{name: "zero max backoff", add: "[delivery]\nmax_backoff = \"0s\"", key: "delivery.max_backoff", message: "0s is not a backoff"},
		{name: "max backoff below backoff", add: "[delivery]\nmax_backoff = \"10s\"", key: "delivery.max_backoff", message: "10s is less than delivery.backoff (30s)"},
		{name: "bad operator", add: "[delivery]\noperators = [\"beheer@example.nl\", \"beheer\"]", key: "delivery.operators[1]", message: `"beheer" is not an email address`},
		{name: "operator twice", add: "[delivery]\noperators = [\"beheer@example.nl\", \"Beheer <BEHEER@example.nl>\"]", key: "delivery.operators[1]", message: `"BEHEER@example.nl" is already in delivery.operators[0]`},
		{name: "resume interval too short", add: "[delivery]\nresume_interval = \"500ms\"", key: "delivery.resume_interval", message: `500ms is too short; want 1s or more, such as "10m", or "0s" to resume only at start`},

		// [delivery] retries against a job's timeout: 30s+1m+2m+4m+8m = 15m30s, +20%.
		{
			name: "retries beyond the default timeout", add: "recipients = [\"a@example.nl\"]\n[delivery]\nretries = 5",
			key: "jobs[monthly].timeout", message: `15m ends the run before its delivery retries are done: delivery.retries = 5 with delivery.backoff = "30s" ` +
				`(doubling, at most delivery.max_backoff = "10m", up to 20% more at random) waits up to 18m36s; ` +
				"raise jobs[monthly].timeout above that, or lower delivery.retries or delivery.backoff",
		},
		{
			name: "retries beyond a short timeout", add: "cc = [\"a@example.nl\"]\ntimeout = \"8m\"",
			key: "jobs[monthly].timeout", message: "8m ends the run before its delivery retries are done: delivery.retries = 4",
		},
		{
			name: "retries capped by max_backoff still beyond", add: "bcc = [\"a@example.nl\"]\n[delivery]\nretries = 20\nmax_backoff = \"1m\"",
			key: "jobs[monthly].timeout", message: "waits up to 23m24s", // (30s + 19 × 1m) × 1.2
		},
		{
			name: "retries beyond the timeout of the second job", add: "[[jobs]]\nname = \"w\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"\nrecipients = [\"a@example.nl\"]\ntimeout = \"2m\"",
			key: "jobs[w].timeout", message: "2m ends the run before its delivery retries are done",
		},

		// [state]
		{name: "unknown state driver", add: "[state]\ndriver = \"mysql\"", key: "state.driver", message: `"mysql" is not a state driver; one of "sqlite", "postgres"`},
		{name: "empty state driver", add: "[state]\ndriver = \"\"", key: "state.driver", message: "is empty"},
		{name: "empty state path", add: "[state]\npath = \"\"", key: "state.path", message: `is empty; leave it out for "kpireport-state.db"`},
		{name: "state not a database", add: "[state]\npath = \"not-a-database.db\"", key: "state.path", message: "is not an SQLite database"},
		{name: "state is a folder", add: "[state]\npath = \"data\"", key: "state.path", message: "is a folder"},
		{name: "state is the sales database", data: "[report]\ncompany = \"T\"\n[source]\ntype = \"sqlite\"\npath = \"sales.db\"\n[state]\npath = \"./sales.db\"\n[[jobs]]\nname = \"m\"\nperiod = \"month\"\nschedule = \"0 7 1 * *\"\n", key: "state.path", message: "is also source.path"},

		// [log]
		{name: "bad log format", add: "[log]\nformat = \"xml\"", key: "log.format", message: `"xml" is not a log format; one of "text", "json"`},
		{name: "bad log level", add: "[log]\nlevel = \"verbose\"", key: "log.level", message: `"verbose" is not a log level; one of "debug", "info", "warn", "error"`},
		{name: "log level upper case", add: "[log]\nlevel = \"INFO\"", key: "log.level", message: "is not a log level"},

		// jobs: addresses
		{name: "bad recipient", add: `recipients = ["a@example.nl", "b@example.nl", "c.example.nl"]`, key: "jobs[monthly].recipients[2]", message: `"c.example.nl" is not an email address`},
		{name: "empty recipient", add: `recipients = [""]`, key: "jobs[monthly].recipients[0]", message: "is empty"},
		{name: "two addresses in one", add: `recipients = ["a@example.nl, b@example.nl"]`, key: "jobs[monthly].recipients[0]", message: "is not an email address"},
		{name: "recipient with line break", add: `recipients = ["a@example.nl\nBcc: x@example.nl"]`, key: "jobs[monthly].recipients[0]", message: "contains a line break"},
		{name: "recipient with carriage return", add: `recipients = ["Jan\r <a@example.nl>"]`, key: "jobs[monthly].recipients[0]", message: "contains a line break"},
		{name: "recipient smuggling an SMTP parameter", add: `recipients = ['"a@x> ORCPT=rfc822;b@y"@example.nl']`, key: "jobs[monthly].recipients[0]", message: "cannot be used as a mail recipient"},
		{name: "bad cc", add: `cc = ["<x@>"]`, key: "jobs[monthly].cc[0]", message: "is not an email address"},
		{name: "bad bcc", add: `bcc = ["a@example.nl", "b@@example.nl"]`, key: "jobs[monthly].bcc[1]", message: "is not an email address"},
		{name: "bad reply_to", add: `reply_to = ["antwoord"]`, key: "jobs[monthly].reply_to[0]", message: "is not an email address"},
		// One check with the sender (delivery/mailaddr): what validates is sent.
		{name: "quoted local part with a comma", add: `recipients = ['"foo,bar"@x']`, key: "jobs[monthly].recipients[0]", message: `"\"foo,bar\"@x" cannot be used as a mail recipient: the local part "foo,bar" is not a plain dot-atom`},
		{name: "quoted local part with two dots", add: `recipients = ['a@example.nl', '"john..doe"@x']`, key: "jobs[monthly].recipients[1]", message: `local part "john..doe" is not a plain dot-atom`},
		{name: "domain starts with a hyphen", add: `cc = ["user@-corp.example"]`, key: "jobs[monthly].cc[0]", message: `"user@-corp.example" cannot be used as a mail recipient: the domain "-corp.example" is not a host name`},
		{name: "domain with an underscore", add: `bcc = ["user@corp_example.com"]`, key: "jobs[monthly].bcc[0]", message: `the domain "corp_example.com" is not a host name`},
		{name: "domain literal", add: `reply_to = ["user@[127.0.0.1]"]`, key: "jobs[monthly].reply_to[0]", message: `"user@[127.0.0.1]" cannot be used as a mail recipient: the domain "[127.0.0.1]" is an address literal`},
		{name: "operator with a domain literal", add: "[delivery]\noperators = [\"beheer@[10.0.0.1]\"]", key: "delivery.operators[0]", message: "is an address literal"},
		{name: "from with an underscore domain", add: "[smtp]\nfrom = \"Rapportage <kpi@mail_server.nl>\"", key: "smtp.from", message: `the domain "mail_server.nl" is not a host name`},
		{name: "recipient twice", add: `recipients = ["a@example.nl", "Jan <a@example.nl>"]`, key: "jobs[monthly].recipients[1]", message: `"a@example.nl" is already in jobs[monthly].recipients[0]`},
		{name: "recipient also in cc", add: "recipients = [\"a@example.nl\", \"b@example.nl\"]\ncc = [\"B@Example.nl\"]", key: "jobs[monthly].cc[0]", message: `"B@example.nl" is already in jobs[monthly].recipients[1]`},
		{name: "cc also in bcc", add: "cc = [\"a@example.nl\"]\nbcc = [\"a@example.nl\"]", key: "jobs[monthly].bcc[0]", message: "is already in jobs[monthly].cc[0]"},

		// jobs: subject
		{name: "empty subject", add: `subject = ""`, key: "jobs[monthly].subject", message: "is empty; leave it out for \"{{.Company}}: {{.Title}} {{.Label}}\""},
		{name: "subject unknown field", add: `subject = "{{.Company}}: {{.Titel}}"`, key: "jobs[monthly].subject", message: "can't evaluate field Titel"},
		{name: "subject unclosed action", add: `subject = "{{.Company"`, key: "jobs[monthly].subject", message: "is not a template"},
		{name: "subject unknown function", add: `subject = "{{.Period | upper}}"`, key: "jobs[monthly].subject", message: `function "upper" not defined`},
		{name: "subject with line break", add: `subject = "{{.Company}}\r\nBcc: x@example.nl"`, key: "jobs[monthly].subject", message: "gives a subject with a line break"},
		{name: "subject blank", add: `subject = "{{\" \"}}"`, key: "jobs[monthly].subject", message: "gives an empty subject"},

		// jobs: timeout and catch-up
		{name: "job timeout zero", add: `timeout = "0s"`, key: "jobs[monthly].timeout", message: `0s is not a timeout; want a duration > 0, such as "15m"`},
		{name: "second job timeout zero", add: "[[jobs]]\nname = \"w\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"\ntimeout = \"0s\"", key: "jobs[w].timeout", message: "0s is not a timeout"},
		{name: "bad catch_up", add: `catch_up = "some"`, key: "jobs[monthly].catch_up", message: `"some" is not a catch-up mode; one of "latest", "all", "none"`},
		{name: "empty catch_up", add: `catch_up = ""`, key: "jobs[monthly].catch_up", message: `"" is not a catch-up mode`},
		{name: "catch_up_max zero", add: "catch_up_max = 0", key: "jobs[monthly].catch_up_max", message: "0 is not a number of periods; want 1 or more"},
		{name: "unknown job key with a hint", add: `to = ["a@example.nl"]`, key: "jobs[0].to", message: "unknown key; did you mean recipients?"},
	}
	dir := testdata(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if data == "" {
				data = base + tt.add + "\n"
			}
			_, err := Parse([]byte(data), dir)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError\n%s", err, data)
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("want 1 problem, got %d:\n%v", len(ve.Problems), err)
			}
			p := ve.Problems[0]
			if p.Key != tt.key || !strings.Contains(p.Message, tt.message) {
				t.Errorf("problem = %s\nwant key %s with message containing %q", p, tt.key, tt.message)
			}
		})
	}
}

// TestDeliveryValid checks settings that are allowed, some of them only just.
func TestDeliveryValid(t *testing.T) {
	tests := []struct{ name, add string }{
		{"no tls to localhost", "[smtp]\nhost = \"localhost\"\ntls = \"none\""},
		{"no tls to LOCALHOST.", "[smtp]\nhost = \"LOCALHOST.\"\ntls = \"none\""},
		{"no tls to 127.0.0.1", "[smtp]\nhost = \"127.0.0.1\"\ntls = \"none\""},
		{"no tls to 127.8.9.10", "[smtp]\nhost = \"127.8.9.10\"\ntls = \"none\""},
		{"no tls to ::1", "[smtp]\nhost = \"::1\"\ntls = \"none\""},
		{"no tls without a host in outbox mode", "[smtp]\ntls = \"none\""},
		{"IPv6 host", "[smtp]\nhost = \"2001:db8::25\""},
		{"zero retries", "[delivery]\nretries = 0"},
		{"resume only at start", "[delivery]\nresume_interval = \"0s\""},
		{"resume off with a negative interval", "[delivery]\nresume_interval = \"-1m\""},
		{"resume every second", "[delivery]\nresume_interval = \"1s\""},
		{"default retries fit the default timeout", "recipients = [\"a@example.nl\"]"},
		{"retries fit a longer timeout", "recipients = [\"a@example.nl\"]\ntimeout = \"19m\"\n[delivery]\nretries = 5"},
		{"no retries with a short timeout", "recipients = [\"a@example.nl\"]\ntimeout = \"10s\"\n[delivery]\nretries = 0"},
		{"long retries for a job that sends nothing", "timeout = \"1m\"\n[delivery]\nretries = 10"},
		{"max backoff equal to backoff", "[delivery]\nbackoff = \"1m\"\nmax_backoff = \"60s\""},
		{"display names and quoted local part", `recipients = ["\"Jansen, Jan\" <jan@example.nl>", "\"jan.jansen\"@example.nl", "=?utf-8?q?Ren=C3=A9?= <rene@example.nl>"]`},
		{"reply_to may repeat a recipient", "recipients = [\"a@example.nl\"]\nreply_to = [\"a@example.nl\"]"},
		{"subject with functions", `subject = "{{printf \"%s – %s\" .Company .Label}} ({{.Job}})"`},
		{"cc and bcc without recipients", "cc = [\"a@example.nl\"]\nbcc = [\"b@example.nl\"]"},
		{"catch up all", "catch_up = \"all\"\ncatch_up_max = 1"},
		{"catch up none", "catch_up = \"none\""},
		{"log json debug", "[log]\nformat = \"json\"\nlevel = \"debug\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(base+tt.add+"\n"), testdata(t)); err != nil {
				t.Error(err)
			}
		})
	}

	// smtp mode and a job without recipients: the job only renders, and that
	// is not a problem.
	if _, err := Parse([]byte(smtpMode("")), testdata(t)); err != nil {
		t.Errorf("smtp mode, job without recipients: %v", err)
	}
}

func TestSMTPPortDefault(t *testing.T) {
	tests := []struct {
		smtp string
		want int
	}{
		{"", 587},
		{`tls = "starttls"`, 587},
		{`tls = "tls"`, 465},
		{"host = \"localhost\"\ntls = \"none\"", 25},
		{"tls = \"tls\"\nport = 2465", 2465},
	}
	for _, tt := range tests {
		c, err := Parse([]byte(base+"[smtp]\n"+tt.smtp+"\n"), testdata(t))
		if err != nil {
			t.Errorf("%q: %v", tt.smtp, err)
			continue
		}
		if c.SMTP.Port != tt.want {
			t.Errorf("%q: port %d, want %d", tt.smtp, c.SMTP.Port, tt.want)
		}
	}
}

// TestJobDefaultsPerJob checks that a job's settings default per job: one
// job setting a key does not keep another from its default.
func TestJobDefaultsPerJob(t *testing.T) {
	data := base + "timeout = \"1h\"\n[[jobs]]\nname = \"w\"\nperiod = \"week\"\nschedule = \"0 7 * * 1\"\ncatch_up = \"none\"\n"
	c, err := Parse([]byte(data), testdata(t))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Timeout    time.Duration
		CatchUp    string
		CatchUpMax int
		Subject    string
	}
	want := []got{
		{time.Hour, "latest", 12, DefaultSubject},
		{15 * time.Minute, "none", 12, DefaultSubject},
	}
	for i, j := range c.Jobs {
		g := got{j.Timeout.Duration, j.CatchUp, j.CatchUpMax, j.Subject}
		if diff := cmp.Diff(want[i], g); diff != "" {
			t.Errorf("jobs[%d] (-want +got):\n%s", i, diff)
		}
	}
}

func TestDurationDecodeErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"no unit", base + "[smtp]\ntimeout = \"30\"\n", `config.toml line 14: smtp.timeout: "30" is not a duration; want a number with a unit, such as "30s", "15m" or "1h30m"`},
		{"integer", base + "[smtp]\ntimeout = 30\n", `config.toml line 14: smtp.timeout: "30" is not a duration`},
		{"words", base + "[delivery]\nbackoff = \"5 minutes\"\n", `config.toml line 14: delivery.backoff: "5 minutes" is not a duration`},
		{"max backoff", base + "[delivery]\nmax_backoff = \"1d\"\n", `config.toml line 14: delivery.max_backoff: "1d" is not a duration`},
		{"in a job", base + "timeout = \"15 min\"\n", `config.toml line 13: jobs.timeout: "15 min" is not a duration`},
		{"table", base + "[smtp.timeout]\nseconds = 30\n", `config.toml line 13: smtp.timeout: wrong type: got table, want string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), testdata(t))
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrDecode) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q\nwant prefix %q", err, tt.want)
			}
		})
	}

	// A syntax error names no key: the last key read is not where it is.
	_, err := Parse([]byte(base+"[smtp]\ntimeout = \"30s\n"), testdata(t))
	var de *DecodeError
	if !errors.As(err, &de) || de.Key != "" {
		t.Errorf("syntax error: err = %v, key %q; want no key", err, de.Key)
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1h30m")); err != nil || d.Duration != 90*time.Minute {
		t.Fatalf("UnmarshalText(1h30m) = %v, %v", d, err)
	}
	text, err := d.MarshalText()
	if err != nil || string(text) != "1h30m" {
		t.Errorf("MarshalText = %q, %v", text, err)
	}
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 15 * time.Minute: "15m", time.Hour: "1h",
		90 * time.Second: "1m30s", time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := (Duration{d}).String(); got != want {
			t.Errorf("Duration{%v}.String() = %q, want %q", d, got, want)
		}
	}
	if err := d.UnmarshalText([]byte("")); err == nil {
		t.Error(`UnmarshalText("") = nil, want an error`)
	}
	if got := fmt.Sprint(Duration{30 * time.Second}); got != "30s" {
		t.Errorf("Sprint = %q, want 30s", got)
	}
}

func TestParseSubject(t *testing.T) {
	tmpl, err := ParseSubject(DefaultSubject)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, SubjectData{Company: "Voorbeeld B.V.", Title: "KPI-rapport", Period: "2026-10", Label: "oktober 2026"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "Voorbeeld B.V.: KPI-rapport oktober 2026" {
		t.Errorf("subject = %q", b.String())
	}
	// missingkey=error: executed on a map, a missing key fails.
	tmpl, _ = ParseSubject("{{.Titel}}")
	if err := tmpl.Execute(&b, map[string]string{"Title": "x"}); err == nil {
		t.Error("missing key: no error")
	}
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "pw", "from-file\n")
	writeFile(t, dir, "pw-crlf", "from-file-crlf\r\n")
	writeFile(t, dir, "pw-none", "from-file-no-newline")
	writeFile(t, dir, "pw-empty", "\n")
	writeFile(t, dir, "pw-lines", "user=kpi\npassword=x\n")
	writeFile(t, dir, "pw-big", strings.Repeat("x", maxPasswordFile+1))
	if err := os.Mkdir(filepath.Join(dir, "pw-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPIREPORT_TEST_PASSWORD", "from-env")
	t.Setenv("KPIREPORT_TEST_EMPTY", "")
	os.Unsetenv("KPIREPORT_TEST_UNSET")

	tests := []struct {
		name, smtp string
		want       string // the password read
		key, msg   string // or the problem
	}{
		{name: "env", smtp: `password_env = "KPIREPORT_TEST_PASSWORD"`, want: "from-env"},
		{name: "file", smtp: `password_file = "pw"`, want: "from-file"},
		{name: "file with CRLF", smtp: `password_file = "pw-crlf"`, want: "from-file-crlf"},
		{name: "file without newline", smtp: `password_file = "pw-none"`, want: "from-file-no-newline"},
		{name: "absolute file", smtp: `password_file = "` + filepath.ToSlash(filepath.Join(dir, "pw")) + `"`, want: "from-file"},
		{name: "env not set", smtp: `password_env = "KPIREPORT_TEST_UNSET"`, key: "smtp.password_env", msg: "environment variable KPIREPORT_TEST_UNSET is not set"},
		{name: "env empty", smtp: `password_env = "KPIREPORT_TEST_EMPTY"`, key: "smtp.password_env", msg: "environment variable KPIREPORT_TEST_EMPTY is empty"},
		{name: "file missing", smtp: `password_file = "nope"`, key: "smtp.password_file", msg: filepath.Join(dir, "nope") + `" does not exist`},
		{name: "file empty", smtp: `password_file = "pw-empty"`, key: "smtp.password_file", msg: "is empty"},
		{name: "file of lines", smtp: `password_file = "pw-lines"`, key: "smtp.password_file", msg: "holds more than one line"},
		{name: "file too large", smtp: `password_file = "pw-big"`, key: "smtp.password_file", msg: "is too large to hold a password"},
		{name: "file is a folder", smtp: `password_file = "pw-dir"`, key: "smtp.password_file", msg: "is a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := smtpMode("username = \"kpi\"\n" + tt.smtp)
			c, err := Parse([]byte(data), dir)
			if tt.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := c.SMTP.Password.Reveal(); got != tt.want {
					t.Errorf("password = %q, want %q", got, tt.want)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Fatalf("err = %v, want 1 problem", err)
			}
			if p := ve.Problems[0]; p.Key != tt.key || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("problem = %s\nwant key %s with message containing %q", p, tt.key, tt.msg)
			}
		})
	}

	t.Run("unreadable file", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		writeFile(t, dir, "pw-locked", "x\n")
		if err := os.Chmod(filepath.Join(dir, "pw-locked"), 0); err != nil {
			t.Fatal(err)
		}
		_, err := Parse([]byte(smtpMode("username = \"kpi\"\npassword_file = \"pw-locked\"")), dir)
		if err == nil || !strings.Contains(err.Error(), "smtp.password_file: \""+filepath.Join(dir, "pw-locked")+"\" cannot be read") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("not read in outbox mode", func(t *testing.T) {
		data := base + "[smtp]\nusername = \"kpi\"\npassword_env = \"KPIREPORT_TEST_UNSET\"\n"
		c, err := Parse([]byte(data), dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP.Password != "" {
			t.Error("password read in outbox mode")
		}
	})

	t.Run("Validate reads it too", func(t *testing.T) {
		c, err := Parse([]byte(smtpMode("username = \"kpi\"\npassword_env = \"KPIREPORT_TEST_PASSWORD\"")), dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		os.Unsetenv("KPIREPORT_TEST_PASSWORD")
		err = c.Validate()
		if err == nil || !strings.Contains(err.Error(), "smtp.password_env: environment variable KPIREPORT_TEST_PASSWORD is not set") {
			t.Errorf("Validate without the variable = %v", err)
		}
	})
}

// TestValidateDelivery checks Validate on a Config built in code: the
// delivery settings left zero count as their defaults, and Validate changes
// nothing.
func TestValidateDelivery(t *testing.T) {
	c := &Config{
		Dir:    testdata(t),
		Report: Report{Company: "X", Timezone: "UTC", Currency: "EUR", Language: "en", OutputDir: "reports"},
		Source: Source{Type: "csv", Dir: "data", Delimiter: ",", Decimal: "."},
		Jobs:   []Job{{Name: "m", Period: "month", Schedule: "0 7 1 * *", Formats: []string{"pdf"}, Filename: DefaultFilename, Recipients: []string{"a@example.nl"}}},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.SMTP.Port != 0 || c.Delivery.Mode != "" || c.Jobs[0].Subject != "" {
		t.Errorf("Validate filled in defaults: %+v %+v %+v", c.SMTP, c.Delivery, c.Jobs[0])
	}

	c.Delivery.Mode = "smtp"
	c.Delivery.Backoff = Duration{time.Hour}
	c.Jobs[0].CC = []string{"A@example.nl"}
	var ve *ValidationError
	if err := c.Validate(); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	want := []Problem{
		{"smtp.host", `is required when delivery.mode is "smtp"`},
		{"smtp.from", `is required when delivery.mode is "smtp"`},
		{"delivery.max_backoff", "10m is less than delivery.backoff (1h)"},
		{"jobs[m].cc[0]", `"A@example.nl" is already in jobs[m].recipients[0]`},
	}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestExampleSMTP checks that the commented-out [smtp] example of
// config.example.toml is valid when switched on.
func TestExampleSMTP(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	on := regexp.MustCompile(`(?m)^# (host|port|from|tls|username|password_env|max_attachment_mb|reply_to) = `)
	text := on.ReplaceAllString(string(data), "$1 = ")
	text = strings.Replace(text, "\nmode = \"outbox\"", "\nmode = \"smtp\"", 1)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "kpireport-demo", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPIREPORT_SMTP_PASSWORD", "example")
	c, err := Parse([]byte(text), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMTP
	if s.Host != "smtp.example.nl" || s.Port != 587 || s.TLS != "starttls" || s.From != "KPI-rapportage <rapportage@voorbeeld.nl>" ||
		s.Username == "" || s.Password.Reveal() != "example" || c.Jobs[0].ReplyTo == nil {
		t.Errorf("smtp = %+v, reply_to %v", s, c.Jobs[0].ReplyTo)
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"localhost.", true},
		{"LOCALHOST.", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"[::1]", true},
		{"0:0:0:0:0:0:0:1", true},
		{"localhost..", false},
		{"mail.localhost", false},
		{"localhost.example.nl", false},
		{"10.0.0.25", false},
		{"::ffff:10.0.0.1", false},
		{"[127.0.0.1", false},
		{"smtp.example.nl", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
