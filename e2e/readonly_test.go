package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// F12, F28: the commands that send no mail (history, next, kpis, generate
// without --send) run without the SMTP password in the environment, and
// history and next also without the data source; the commands that need them
// still refuse with today's texts and key paths.
func TestReadOnlyCommandsNeedNoSecretNorData(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, func(ms *mailServer) { ms.Auth = func(string, string) error { return nil } })
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port, fmt.Sprintf("username = %q\npassword_env = %q\n", smtpUser, passwordEnv), "")
	withPassword := []string{passwordEnv + "=" + smtpPassword}
	mustRun(t, withPassword, generateSend(cfg)...) // a ledger to read

	// An environment without the variable, whatever the test's own has.
	noPassword := []string{passwordEnv + "="}
	const missing = "smtp.password_env: environment variable " + passwordEnv + " is empty"
	for _, args := range [][]string{
		{"history", "--config", cfg},
		{"next", "--config", cfg},
		{"kpis", "--config", cfg, "--job", "monthly"},
		{"generate", "--config", cfg, "--job", "monthly", "--out", t.TempDir()},
	} {
		res := kpireport(t, noPassword, args...)
		if res.code != 0 || strings.Contains(res.stderr, "password") {
			t.Errorf("without the SMTP password: want exit 0, got %s", res)
		}
	}
	if res := kpireport(t, noPassword, generateSend(cfg, "--resend")...); res.code == 0 || !strings.Contains(res.stderr, missing) {
		t.Errorf("generate --send without the password: want %q, got %s", missing, res)
	}

	// The data source gone: history and next still read the ledger and the
	// schedule; the commands that read the data say what is missing.
	data := filepath.Join(filepath.Dir(cfg), "data")
	if err := os.Rename(data, data+".gone"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"history", "--config", cfg}, {"next", "--config", cfg}} {
		res := kpireport(t, noPassword, args...)
		if res.code != 0 || !strings.Contains(res.stdout, "monthly") {
			t.Errorf("without the data source: want exit 0 and the monthly job, got %s", res)
		}
	}
	want := fmt.Sprintf("source.dir: %q does not exist", data)
	if res := kpireport(t, noPassword, "kpis", "--config", cfg, "--job", "monthly"); res.code == 0 || !strings.Contains(res.stderr, want) {
		t.Errorf("kpis without the data source: want %q, got %s", want, res)
	}
}
