package jobs

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// privatePostgres is a PostgreSQL cluster of one test: its own data folder, port and
// socket, so that the test may stop and restart it without touching the shared
// server other tests use.
type privatePostgres struct {
	bin, dir string
	port     int
	asUser   string // run the server's commands as this user ("" = as this process)
}

// startPrivatePostgres initdb's a cluster in a new folder and starts it on a free
// port of 127.0.0.1, with trust authentication for user postgres. It skips the test
// when PostgreSQL's binaries (/usr/lib/postgresql/*/bin) are missing, except under
// CI=true, where that is a failure. The cluster is stopped and removed at the end.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb) are missing; install postgresql")
		}
		t.Skip("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb) are missing; install postgresql to run this test")
	}
	sort.Strings(bins)
	pg := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1])}
	// initdb refuses to run as root: run the server as the postgres user.
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Skip("running as root without a postgres user to run a private PostgreSQL as")
		}
		pg.asUser = "postgres"
	}
	dir, err := os.MkdirTemp("", "kpireport-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg.dir = dir
	if pg.asUser != "" {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("chown", pg.asUser, dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", dir, err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	pg.run(t, "initdb", "-D", pg.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	pg.run(t, "pg_ctl", "start", "-w", "-D", pg.data(), "-l", filepath.Join(dir, "log"), "-o", pg.options())
	t.Cleanup(func() { pg.ctl(t, "stop", "-m", "immediate") })
	return pg
}

func (pg *privatePostgres) data() string { return filepath.Join(pg.dir, "data") }

func (pg *privatePostgres) options() string {
	return fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", pg.port, pg.dir)
}

// DSN is the connection string of the cluster's postgres database.
func (pg *privatePostgres) DSN() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(pg.port) + "/postgres?sslmode=disable"
}

// ctl runs pg_ctl action on the cluster (stop, start, restart), waiting for it.
func (pg *privatePostgres) ctl(t *testing.T, action string, args ...string) {
	t.Helper()
	args = append([]string{action, "-w", "-D", pg.data(), "-l", filepath.Join(pg.dir, "log")}, args...)
	if action != "stop" {
		args = append(args, "-o", pg.options())
	}
	pg.run(t, "pg_ctl", args...)
}

func (pg *privatePostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	path := filepath.Join(pg.bin, name)
	cmd := exec.Command(path, args...)
	if pg.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", pg.asUser, "--", path}, args...)...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = pg.dir
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		t.Errorf("%s %v: %v\n%s\nserver log:\n%s", name, args, err, out.String(), log)
	}
}
