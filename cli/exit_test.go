package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/demo"
)

// demoConfig writes a small demo company (CSV, data up to 1 December 2026: before the
// tests' real today, so no row is dated in the future) and
// returns the path of its config. edit, when set, changes the config's text.
func demoConfig(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	res, err := demo.Generate(context.Background(), demo.Options{
		Dir: dir, Orders: 2000, Format: "csv", End: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b, err := os.ReadFile(res.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(res.ConfigPath, []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return res.ConfigPath
}

// closedPort returns a TCP port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestExitCodes runs commands in-process through Main and checks the exit code (0 ok,
// 1 failure, 2 usage) and that stderr says each error once, each on one line:
// exactly the lines wanted, each starting with "kpireport", none repeated, and no
// log line repeating the error.
func TestExitCodes(t *testing.T) {
	good := demoConfig(t, nil)
	badRow := demoConfig(t, nil)
	f, err := os.OpenFile(filepath.Join(filepath.Dir(badRow), "data", "orders.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("O9999999,C000001,2026-10-05 10:00:00,12.3.4,1.00,false,repeat,Anna,Noord\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	port := closedPort(t)
	noServer := demoConfig(t, func(s string) string {
		return strings.Replace(s, "[delivery]\nmode = \"outbox\"\n",
			fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\ntls = \"none\"\nfrom = \"r@voorbeeld.example\"\n"+
				"[delivery]\nmode = \"smtp\"\nretries = 0\noperators = [\"ops@voorbeeld.example\"]\n", port), 1)
	})
	twoProblems := demoConfig(t, func(s string) string {
		s = strings.Replace(s, `timezone = "Europe/Amsterdam"`, `timezone = "Europe/Amsterdm"`, 1)
		return strings.Replace(s, `currency = "EUR"`, `currency = "eur"`, 1)
	})
	noOrders := demoConfig(t, nil) // a header-only export: the gate holds the report
	orders := filepath.Join(filepath.Dir(noOrders), "data", "orders.csv")
	b, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(orders, []byte(header+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oct := []string{"--job", "monthly", "--period", "2026-10"}

	tests := []struct {
		name  string
		args  []string
		code  int
		lines []string // each a substring of one line of stderr, in order
	}{
		{"version", []string{"--version"}, 0, nil},
		{"version command", []string{"version"}, 0, nil},
		{"kpis", append([]string{"kpis", "--config", good}, oct...), 0, nil},
		{"no command", []string{"bogus"}, 2, []string{`kpireport: unknown command "bogus" (see kpireport --help)`}},
		{"unknown flag", []string{"kpis", "--bogus"}, 2, []string{"kpireport kpis: flag provided but not defined: -bogus (see kpireport kpis --help)"}},
		{"period not ended", []string{"generate", "--config", good, "--job", "monthly", "--period", "2099-12", "--send"}, 2,
			[]string{"kpireport generate: period 2099-12 has not "}},
		{"missing flag value", []string{"generate", "--period"}, 2, []string{"kpireport generate: flag needs an argument: -period"}},
		{"extra argument", []string{"kpis", "--config", good, "extra"}, 2, []string{`kpireport kpis: unexpected argument "extra"`}},
		{"no config", []string{"generate"}, 2, []string{"kpireport generate: --config is required"}},
		{"resend without send", []string{"generate", "--config", good, "--resend"}, 2, []string{"kpireport generate: --resend needs --send"}},
		{"bad period", []string{"generate", "--config", good, "--job", "monthly", "--period", "2026-13"}, 2, []string{`"2026-13"`}},
		{"unknown job", []string{"kpis", "--config", good, "--job", "nope"}, 2, []string{`unknown job "nope"`}},
		{"config missing", []string{"generate", "--config", filepath.Join(t.TempDir(), "nope.toml")}, 1, []string{"kpireport generate: config: open "}},
		{"config problems", []string{"validate", "--config", twoProblems}, 1, []string{"report.timezone", "report.currency"}},
		{"bad row: kpis", append([]string{"kpis", "--config", badRow}, oct...), 1, []string{"orders.csv line"}},
		{"bad row: generate", append([]string{"generate", "--config", badRow}, oct...), 1, []string{"kpireport generate: load csv source: orders.csv line"}},
		{"bad row: generate --send", append([]string{"generate", "--config", badRow, "--send"}, oct...), 1, []string{"kpireport generate: load csv source: orders.csv line"}},
		{"bad row: backfill --send", []string{"backfill", "--config", badRow, "--job", "monthly", "--from", "2026-10", "--to", "2026-10", "--send"}, 1,
			[]string{"kpireport backfill: 2026-10: load csv source: orders.csv line"}},
		{"held: generate --send", append([]string{"generate", "--config", noOrders, "--send"}, oct...), 1, []string{"kpireport generate: held, not sent: "}},
		// Every recipient fails, and so does the operators' notice: one line, the
		// recipients joined with "; ", and no log line about the notice.
		{"no server: generate --send", append([]string{"generate", "--config", noServer, "--send"}, oct...), 1,
			[]string{"refused; to finance@voorbeeld.example after 1 attempt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			var lines []string
			if s := strings.TrimRight(stderr.String(), "\n"); s != "" {
				lines = strings.Split(s, "\n")
			}
			if len(lines) != len(tt.lines) {
				t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tt.lines), stderr.String())
			}
			seen := map[string]bool{}
			for i, l := range lines {
				if !strings.HasPrefix(l, "kpireport") || !strings.Contains(l, tt.lines[i]) || seen[l] {
					t.Errorf("stderr line %d = %q, want one line starting with kpireport, with %q, said once", i+1, l, tt.lines[i])
				}
				seen[l] = true
			}
			if code == 2 && !strings.HasSuffix(lines[0], " --help)") {
				t.Errorf("usage error %q does not end pointing at --help", lines[0])
			}
			if code != 0 && strings.Contains(stdout.String(), "not sent") {
				t.Errorf("stdout repeats the error:\n%s", stdout.String())
			}
		})
	}
}

// TestVersion checks the line of `kpireport --version` for a build from a commit, a
// build with changes not committed, and one without VCS information, and that
// --help lists it.
func TestVersion(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "ed6fb3afb7f1d17d24bf0c1a0712317685dad1cf"},
			{Key: "vcs.time", Value: "2026-12-03T19:33:40Z"}, {Key: "vcs.modified", Value: "false"},
		}}, "kpireport v1.4.0 (revision ed6fb3afb7f1d17d24bf0c1a0712317685dad1cf, 2026-12-03T19:33:40Z) go1.26.8\n"},
		{"dirty", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "ed6fb3a"}, {Key: "vcs.modified", Value: "true"},
		}}, "kpireport devel (revision ed6fb3a+dirty) go1.26.8\n"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "kpireport devel (revision unknown) go1.26.8\n"},
	}
	saved := readBuildInfo
	t.Cleanup(func() { readBuildInfo = saved })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readBuildInfo = func() *debug.BuildInfo { return tt.bi }
			for _, args := range [][]string{{"--version"}, {"version"}} {
				var stdout, stderr bytes.Buffer
				if code := Main(context.Background(), args, &stdout, &stderr); code != 0 || stdout.String() != tt.want || stderr.Len() != 0 {
					t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and %q", args, code, stdout.String(), stderr.String(), tt.want)
				}
			}
		})
	}
	var help bytes.Buffer
	Main(context.Background(), []string{"--help"}, &help, &help)
	if !strings.Contains(help.String(), "\n  version ") || !strings.Contains(help.String(), "--version") {
		t.Errorf("--help does not list version:\n%s", help.String())
	}
}
