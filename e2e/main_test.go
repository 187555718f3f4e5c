package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// kpireportBin is the kpireport binary built once by TestMain.
var kpireportBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kpireport-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	kpireportBin = filepath.Join(dir, "kpireport")
	if err := buildKpireport(kpireportBin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build kpireport:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: leaked goroutines:", err)
			return 1
		}
	}
	return code
}

// buildKpireport builds ./cmd/kpireport of this module into out.
func buildKpireport(out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", out, "./cmd/kpireport")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/kpireport: %w\n%s", err, b)
	}
	return nil
}

// moduleRoot returns the folder of this module's go.mod.
func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// result is what one kpireport process did.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("kpireport %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// kpireport runs the binary with args and extra environment variables
// ("KEY=value") and waits for it, at most 30 s.
func kpireport(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kpireportBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("kpireport %s: %v\nstderr:\n%s", strings.Join(args, " "), err, res.stderr)
	}
	return res
}

// mustRun runs kpireport and fails the test unless it exits 0.
func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	res := kpireport(t, env, args...)
	if res.code != 0 {
		t.Fatalf("want exit 0, got %s", res)
	}
	return res
}

// demoCompany writes the demo company of `kpireport demo` (3000 orders, seed 1) in
// the given format ("csv" or "sqlite") into a new folder and returns its config path.
func demoCompany(t *testing.T, format string) string {
	t.Helper()
	dir := t.TempDir()
	mustRun(t, nil, "demo", "--dir", dir, "--orders", "3000", "--format", format)
	cfg := filepath.Join(dir, "kpireport.toml")
	if _, err := os.Stat(cfg); err != nil {
		t.Fatalf("demo wrote no config: %v", err)
	}
	return cfg
}

// editConfig replaces each old text of the config at path with its new text; each
// old text must occur exactly once, so that a change in the demo's config shows up
// here as a clear failure rather than a silently different test.
func editConfig(t *testing.T, path string, oldNew ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(oldNew); i += 2 {
		if n := strings.Count(s, oldNew[i]); n != 1 {
			t.Fatalf("edit %s: %q occurs %d times, want once; the demo config changed?\n%s", path, oldNew[i], n, s)
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendConfig appends text to the config at path.
func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(errors.Join(err, f.Close()))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// useSMTP switches the demo config at path to delivery by SMTP through
// 127.0.0.1:port without TLS, with quick retries. smtpExtra and deliveryExtra are
// more lines for the [smtp] and [delivery] sections. The SMTP timeout is the
// default's 30s: on a loaded machine a shorter one can expire after the server took
// a message and before its reply arrived, and the retry would then count as a
// duplicate in tests that count messages.
func useSMTP(t *testing.T, path string, port int, smtpExtra, deliveryExtra string) {
	t.Helper()
	smtp := fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\ntls = \"none\"\n"+
		"from = \"KPI Reports <reports@voorbeeld.example>\"\ntimeout = \"30s\"\n%s\n", port, smtpExtra)
	editConfig(t, path,
		"[delivery]\nmode = \"outbox\"\n",
		smtp+"[delivery]\nmode = \"smtp\"\nretries = 1\nbackoff = \"50ms\"\nmax_backoff = \"100ms\"\n"+deliveryExtra)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The demo company's monthly job and its recipients, as `kpireport demo` writes them.
const (
	demoCompanyName = "Voorbeeld Handel B.V."
	rcptDirectie    = "directie@voorbeeld.example"
	rcptFinance     = "finance@voorbeeld.example"
	rcptSales       = "sales@voorbeeld.example" // cc
)

var demoRecipients = []string{rcptDirectie, rcptFinance, rcptSales}

// inCI reports whether the tests run under CI (CI=true), where a missing tool is a
// failure instead of a skip.
func inCI() bool { return os.Getenv("CI") == "true" }
