package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretPrinting(t *testing.T) {
	const value = "Zq7-hunter2"
	s := Secret(value)
	if s.Reveal() != value {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	wrapped := struct {
		Password Secret
		Ptr      *Secret
	}{s, &s}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		got := fmt.Sprintf(format, s)
		if strings.Contains(got, value) || !strings.Contains(got, "<secret>") {
			t.Errorf("Sprintf(%q) = %q", format, got)
		}
		if got := fmt.Sprintf(format, wrapped); strings.Contains(got, value) {
			t.Errorf("Sprintf(%q) of a struct = %q", format, got)
		}
	}
	for _, got := range []string{s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintln(s), fmt.Sprint([]Secret{s}), fmt.Sprint(map[string]Secret{"pw": s})} {
		if strings.Contains(got, value) {
			t.Errorf("printed %q", got)
		}
	}
	if j, err := json.Marshal(wrapped); err != nil || strings.Contains(string(j), value) {
		t.Errorf("json = %s, %v", j, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("smtp", "password", s, "smtp", SMTP{Password: s})
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("smtp", "password", s, "smtp", SMTP{Password: s})
	if strings.Contains(buf.String(), value) || !strings.Contains(buf.String(), "<secret>") {
		t.Errorf("slog wrote %s", buf.String())
	}
}

// TestSecretNeverShown loads a configuration whose SMTP password is a
// distinctive value and checks that the value appears in no printed form of
// the configuration and in no error.
func TestSecretNeverShown(t *testing.T) {
	const value = "Zq7-distinctive-p4ssw0rd"
	t.Setenv("KPIREPORT_TEST_SECRET", value)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "pw", value+"\n")
	writeFile(t, dir, "pw-lines", value+"\n"+value+"\n")

	c, err := Parse([]byte(smtpMode("username = \"kpi\"\npassword_env = \"KPIREPORT_TEST_SECRET\"")), dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Password.Reveal() != value {
		t.Fatalf("password not read")
	}
	printed := fmt.Sprintf("%v %+v %#v", c, c.SMTP, c.SMTP.Password) +
		fmt.Sprintf("%v %+v %#v %v", *c, *c, *c, &c.SMTP)
	if strings.Contains(printed, value) {
		t.Errorf("the password is printed: %s", printed)
	}
	if j, err := json.Marshal(c.SMTP); err != nil || strings.Contains(string(j), value) {
		t.Errorf("json = %s, %v", j, err)
	}

	// Validate of the loaded configuration, made invalid.
	c.SMTP.TLS = "none"
	c.SMTP.Port = -1
	if err := c.Validate(); err == nil || strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), value) {
		t.Errorf("Validate = %v", err)
	}

	// Files that fail to load, each with the password somewhere.
	bad := []string{
		smtpMode("username = \"kpi\"\npassword_env = \"KPIREPORT_TEST_SECRET\"\ntls = \"none\"\nport = 0"),
		smtpMode("username = \"kpi\"\npassword_file = \"pw-lines\""),
		smtpMode("username = \"kpi\"\npassword_file = \"pw\"\npassword_env = \"KPIREPORT_TEST_SECRET\""),
		smtpMode("username = \"kpi\"\npassword_env = \"" + value + "\""),
		smtpMode("username = \"kpi\"\npassword = \"" + value + "\""),
		smtpMode("username = \"kpi\"\npassword_env = \"" + value + " \""),
	}
	for i, data := range bad {
		_, err := Parse([]byte(data), dir)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("file %d: err = %v, want a *ValidationError", i, err)
			continue
		}
		if got := fmt.Sprintf("%v %+v %#v", err, err, ve.Problems); strings.Contains(got, value) {
			t.Errorf("file %d: the password is in the error: %s", i, got)
		}
	}
}
