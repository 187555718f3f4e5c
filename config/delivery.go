package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kpireport/kpireport/backoff"
	"github.com/kpireport/kpireport/delivery/mailaddr"
)

// SMTP is the mail server reports are sent through when delivery.mode is
// "smtp".
type SMTP struct {
	Host            string   `toml:"host"`              // required for smtp; a host name or IP address, no port
	Port            int      `toml:"port"`              // default 587; 465 when tls is "tls", 25 when "none"
	From            string   `toml:"from"`              // sender, "Name <addr>" or addr; required for smtp
	TLS             string   `toml:"tls"`               // "starttls" (default, mandatory) | "tls" | "none" (loopback hosts only)
	Username        string   `toml:"username"`          // SMTP AUTH user; needs a password
	PasswordEnv     string   `toml:"password_env"`      // name of the environment variable holding the password
	PasswordFile    string   `toml:"password_file"`     // file holding the password, resolved; not with password_env
	Timeout         Duration `toml:"timeout"`           // per connection and command, default 30s
	MaxAttachmentMB int      `toml:"max_attachment_mb"` // largest report attached, default 20
	// Password is read by Load from password_env or password_file when
	// delivery.mode is "smtp"; it is never in the file itself.
	Password Secret `toml:"-"`
}

// Delivery says what happens to a finished report.
type Delivery struct {
	Mode       string   `toml:"mode"`        // "outbox" (default): .eml files in OutboxDir | "smtp"
	OutboxDir  string   `toml:"outbox_dir"`  // default "outbox", resolved
	Retries    int      `toml:"retries"`     // retries after a temporary failure, default 4
	Backoff    Duration `toml:"backoff"`     // wait before the first retry, default 30s; doubles per retry
	MaxBackoff Duration `toml:"max_backoff"` // longest wait between retries, default 10m
	Operators  []string `toml:"operators"`   // addresses that get a notice when a run fails
	// ResumeInterval is how often the daemon runs again the periods whose
	// deliveries are still owed (queued or failed temporarily) and, for jobs
	// whose catch_up is not "none", a due period whose latest run failed, after
	// a wait of ResumeInterval × 2^(failures-1), at most 6h; default 10m; 0 or
	// negative: only when it starts, and no retries of failed runs.
	ResumeInterval Duration `toml:"resume_interval"`
}

// Defaults of the delivery settings.
const (
	DefaultSMTPPort        = 587
	DefaultTLS             = "starttls"
	DefaultSMTPTimeout     = 30 * time.Second
	DefaultMaxAttachmentMB = 20
	DefaultMode            = "outbox"
	DefaultOutboxDir       = "outbox"
	DefaultRetries         = 4
	DefaultBackoff         = 30 * time.Second
	DefaultMaxBackoff      = 10 * time.Minute
	DefaultResumeInterval  = 10 * time.Minute
)

// minResumeInterval is the shortest delivery.resume_interval that is not 0:
// a shorter one would render the same reports again and again.
const minResumeInterval = time.Second

var (
	// tlsModes are the values of smtp.tls.
	tlsModes = []string{"starttls", "tls", "none"}
	// deliveryModes are the values of delivery.mode.
	deliveryModes = []string{"outbox", "smtp"}
)

// defaultPort is the port for a TLS mode: submission with STARTTLS,
// submissions with implicit TLS, plain SMTP without.
func defaultPort(tls string) int {
	switch tls {
	case "tls":
		return 465
	case "none":
		return 25
	}
	return DefaultSMTPPort
}

var (
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxPasswordFile is the size above which password_file is surely not a
// file holding only a password.
const maxPasswordFile = 4096

// checkSMTP checks [smtp]. When delivery.mode is "smtp" it also reads the
// password and returns it.
func (c *Config) checkSMTP(ps *problems, password bool) Secret {
	s := &c.SMTP
	smtp := c.Delivery.Mode == "smtp"

	switch {
	case s.Host == "":
		if smtp {
			ps.add("smtp.host", `is required when delivery.mode is "smtp"`)
		}
	case net.ParseIP(s.Host) == nil && !hostName.MatchString(s.Host):
		ps.add("smtp.host", "%s is not a host name or IP address; the port goes in smtp.port", quote(s.Host))
	}

	if s.Port < 1 || s.Port > 65535 {
		ps.add("smtp.port", "%d is not a port (1 to 65535)", s.Port)
	}

	switch {
	case s.From == "":
		if smtp {
			ps.add("smtp.from", `is required when delivery.mode is "smtp"`)
		}
	default:
		if _, msg := checkAddress(s.From); msg != "" {
			ps.add("smtp.from", "%s", msg)
		}
	}

	switch {
	case !slices.Contains(tlsModes, s.TLS):
		ps.add("smtp.tls", "%s is not a TLS mode; one of %s", quote(s.TLS), list(tlsModes))
	case s.TLS == "none" && s.Host != "" && !IsLoopback(s.Host):
		ps.add("smtp.tls", `"none" sends mail and password unencrypted; it is allowed only for a loopback host (localhost, 127.0.0.0/8, ::1), not %s`, quote(s.Host))
	}

	hasPassword := s.PasswordEnv != "" || s.PasswordFile != ""
	if s.Username != "" && !hasPassword {
		ps.add("smtp.username", "is set, but there is no password; set smtp.password_env or smtp.password_file")
	}
	if s.Username == "" && hasPassword {
		ps.add("smtp.username", "is required with smtp.password_env or smtp.password_file")
	}
	if s.PasswordEnv != "" && s.PasswordFile != "" {
		ps.add("smtp", "sets both password_env and password_file; use one")
	}
	// The value is not quoted: it may be the password itself, written
	// where the name of a variable belongs.
	envOK := s.PasswordEnv == "" || envName.MatchString(s.PasswordEnv)
	if !envOK {
		ps.add("smtp.password_env", "is not the name of an environment variable (letters, digits and _); write the name of the variable that holds the password, not the password")
	}

	if s.Timeout.Duration <= 0 {
		ps.add("smtp.timeout", "%v is not a timeout; want a duration > 0, such as %q", s.Timeout, Duration{DefaultSMTPTimeout}.String())
	}
	if s.MaxAttachmentMB <= 0 {
		ps.add("smtp.max_attachment_mb", "%d is not a size; want megabytes > 0", s.MaxAttachmentMB)
	}

	if !smtp || !password || s.PasswordEnv != "" && s.PasswordFile != "" || !envOK {
		return ""
	}
	return c.readPassword(ps)
}

// readPassword reads the SMTP password from the environment variable or file
// the configuration names. Problems name the variable or file, never the
// value.
func (c *Config) readPassword(ps *problems) Secret {
	s := &c.SMTP
	switch {
	case s.PasswordEnv != "":
		v, ok := os.LookupEnv(s.PasswordEnv)
		switch {
		case !ok:
			ps.add("smtp.password_env", "environment variable %s is not set", s.PasswordEnv)
		case v == "":
			ps.add("smtp.password_env", "environment variable %s is empty", s.PasswordEnv)
		}
		return Secret(v)
	case s.PasswordFile != "":
		path := c.abs(s.PasswordFile)
		if !checkFile(ps, "smtp.password_file", path) {
			return ""
		}
		if fi, err := os.Stat(path); err == nil && fi.Size() > maxPasswordFile {
			ps.add("smtp.password_file", "%q is too large to hold a password (%d bytes)", path, fi.Size())
			return ""
		}
		data, err := os.ReadFile(path)
		if err != nil {
			ps.add("smtp.password_file", "%q cannot be read: %v", path, unwrapPath(err))
			return ""
		}
		v := strings.TrimRight(string(data), "\r\n")
		switch {
		case v == "":
			ps.add("smtp.password_file", "%q is empty", path)
		case strings.ContainsAny(v, "\r\n"):
			ps.add("smtp.password_file", "%q holds more than one line; want only the password", path)
		default:
			return Secret(v)
		}
	}
	return ""
}

// IsLoopback reports whether host is this machine: localhost (also written
// as the absolute name "localhost.", in any case), an address in 127.0.0.0/8
// or ::1 (also in brackets). It is the one test of "loopback" for smtp.tls =
// "none": config validation and the SMTP sender both use it, so that a host
// one accepts the other does not refuse.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) checkDelivery(ps *problems) {
	d := &c.Delivery
	switch {
	case d.Mode == "":
		ps.add("delivery.mode", "is empty; one of %s", list(deliveryModes))
	case !slices.Contains(deliveryModes, d.Mode):
		ps.add("delivery.mode", "%s is not a delivery mode; one of %s", quote(d.Mode), list(deliveryModes))
	}

	if d.OutboxDir == "" {
		ps.add("delivery.outbox_dir", "is empty; leave it out for %q", DefaultOutboxDir)
	} else if fi, err := os.Stat(c.abs(d.OutboxDir)); d.Mode == "outbox" && err == nil && !fi.IsDir() {
		ps.add("delivery.outbox_dir", "%q is not a folder", c.abs(d.OutboxDir))
	}

	if d.Retries < 0 {
		ps.add("delivery.retries", "%d is negative; want 0 (no retries) or more", d.Retries)
	}
	backoffOK := d.Backoff.Duration > 0
	if !backoffOK {
		ps.add("delivery.backoff", "%v is not a backoff; want a duration > 0, such as %q", d.Backoff, Duration{DefaultBackoff}.String())
	}
	switch {
	case d.MaxBackoff.Duration <= 0:
		ps.add("delivery.max_backoff", "%v is not a backoff; want a duration > 0, such as %q", d.MaxBackoff, Duration{DefaultMaxBackoff}.String())
	case backoffOK && d.MaxBackoff.Duration < d.Backoff.Duration:
		ps.add("delivery.max_backoff", "%v is less than delivery.backoff (%v)", d.MaxBackoff, d.Backoff)
	}

	checkAddresses(ps, "delivery.operators", d.Operators, map[string]string{})

	if iv := d.ResumeInterval.Duration; iv > 0 && iv < minResumeInterval {
		ps.add("delivery.resume_interval", "%v is too short; want %v or more, such as %q, or \"0s\" to resume only at start",
			d.ResumeInterval, Duration{minResumeInterval}, Duration{DefaultResumeInterval}.String())
	}
}

// checkRetryTime reports a job that sends mail and whose timeout ends the
// run before the delivery retries can have their last attempt. key is the
// job's key path.
func (c *Config) checkRetryTime(ps *problems, key string, j *Job) {
	d := &c.Delivery
	if len(j.Recipients)+len(j.CC)+len(j.BCC) == 0 || j.Timeout.Duration <= 0 ||
		d.Retries <= 0 || d.Backoff.Duration <= 0 || d.MaxBackoff.Duration < d.Backoff.Duration {
		return // nothing is sent, or the settings are reported by themselves
	}
	wait := backoff.Longest(d.Backoff.Duration, d.MaxBackoff.Duration, d.Retries, backoff.Jitter)
	if wait < j.Timeout.Duration {
		return
	}
	ps.add(key+".timeout", "%v ends the run before its delivery retries are done: delivery.retries = %d with delivery.backoff = %q "+
		"(doubling, at most delivery.max_backoff = %q, up to %d%% more at random) waits up to %v; "+
		"raise %s.timeout above that, or lower delivery.retries or delivery.backoff",
		j.Timeout, d.Retries, d.Backoff.String(), d.MaxBackoff.String(), int(backoff.Jitter*100),
		Duration{wait.Round(time.Second)}, key)
}

// checkAddresses checks a list of addresses, each at key[i]. seen holds the
// addresses of the lists checked before, lower case, with the key they were
// at; a repeat is a problem, and the list's own addresses are added.
func checkAddresses(ps *problems, key string, addrs []string, seen map[string]string) {
	for i, a := range addrs {
		k := fmt.Sprintf("%s[%d]", key, i)
		addr, msg := checkAddress(a)
		if msg != "" {
			ps.add(k, "%s", msg)
			continue
		}
		lower := strings.ToLower(addr)
		if first, dup := seen[lower]; dup {
			ps.add(k, "%s is already in %s", quote(addr), first)
			continue
		}
		seen[lower] = k
	}
}

// checkAddress parses one address, "Name <addr>" or addr, and returns the
// bare address, or what is wrong with it. It is the sender's own check
// (package mailaddr), so an address that validates is one the sender takes.
func checkAddress(s string) (addr, msg string) {
	a, err := mailaddr.Parse(s)
	if err != nil {
		return "", err.Error()
	}
	return a.Address, ""
}
