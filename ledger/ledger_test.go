package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/internal/pgtest"
)

// t0 is the fake "now" of every test ledger.
var t0 = time.Date(2026, 11, 1, 6, 0, 0, 123456789, time.UTC)

// backend is a database the ledger can live in.
type backend struct {
	name string
	// newDB returns a new, empty database of the test: a file path or a DSN.
	newDB func(t *testing.T) string
	open  func(ctx context.Context, db string) (*Ledger, error)
}

// backends are the databases every ledger test runs against. PostgreSQL is
// skipped when KPIREPORT_TEST_POSTGRES_DSN is not set (and fails under CI=true).
var backends = []backend{
	{name: "sqlite", newDB: func(t *testing.T) string { return filepath.Join(t.TempDir(), "ledger.db") }, open: Open},
	{name: "postgres", newDB: func(t *testing.T) string { return pgtest.Postgres(t) }, open: OpenPostgres},
}

// forEachBackend runs test once per backend, as a subtest named after it.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// openTest opens a ledger on db (a new database when db is "") with a clock
// that ticks one second per call, and closes it when the test ends.
func openTest(t *testing.T, b backend, db string) *Ledger {
	t.Helper()
	if db == "" {
		db = b.newDB(t)
	}
	l, err := b.open(t.Context(), db)
	if err != nil {
		t.Fatalf("open %s ledger: %v", b.name, err)
	}
	var mu sync.Mutex
	tick := t0
	l.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Second)
		return tick
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

type versionRow struct {
	Version   int
	AppliedAt string
}

func schemaVersions(t *testing.T, l *Ledger) []versionRow {
	t.Helper()
	rows, err := l.db.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []versionRow
	for rows.Next() {
		var v versionRow
		if err := rows.Scan(&v.Version, &v.AppliedAt); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsOfBothDialects(t *testing.T) {
	if len(sqliteMigrations) != len(postgresMigrations) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones; want the same", len(sqliteMigrations), len(postgresMigrations))
	}
}

func TestOpenMigrates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l := openTest(t, b, "")
		if l.Driver() != b.name {
			t.Errorf("Driver = %q, want %q", l.Driver(), b.name)
		}
		vs := schemaVersions(t, l)
		n := len(l.dialect.migrations)
		if len(vs) != n || vs[len(vs)-1].Version != n {
			t.Errorf("schema_version = %+v, want versions 1..%d", vs, n)
		}
	})
}

func TestOpenSQLiteCreatesFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "sub", "ledger.db")
	l := openTest(t, backends[0], path)

	var mode string
	if err := l.db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var timeout int
	if err := l.db.QueryRowContext(t.Context(), `PRAGMA busy_timeout`).Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != int(busyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout = %d, want %d", timeout, busyTimeout.Milliseconds())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

// Replicas that start together on a shared PostgreSQL ledger migrate one at
// a time and all end up with the same schema. (A new SQLite file is not for
// several processes at once: switching it to WAL can fail with SQLITE_BUSY.)
func TestOpenConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		if b.name == "sqlite" {
			t.Skip("a new SQLite ledger is opened by one process first")
		}
		db := b.newDB(t)
		const n = 4
		ls := make([]*Ledger, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ls[i], errs[i] = b.open(t.Context(), db) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				continue
			}
			defer ls[i].Close()
		}
		if t.Failed() {
			return
		}
		if vs := schemaVersions(t, ls[0]); len(vs) != len(ls[0].dialect.migrations) {
			t.Errorf("schema_version = %+v, want each migration once", vs)
		}
	})
}

func TestReopenIsNoOp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.newDB(t)
		l, err := b.open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		before := schemaVersions(t, l)
		run, err := l.StartRun(ctx, "monthly", "2026-10", TriggerScheduled)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}

		l2 := openTest(t, b, db)
		if diff := cmp.Diff(before, schemaVersions(t, l2)); diff != "" {
			t.Errorf("schema_version changed on reopen (-before +after):\n%s", diff)
		}
		runs, err := l2.Runs(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].ID != run.ID {
			t.Errorf("runs after reopen = %+v, want the one run %d", runs, run.ID)
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.newDB(t)
		l, err := b.open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.db.ExecContext(ctx, l.q(`INSERT INTO schema_version (version, applied_at) VALUES (?, '')`), len(l.dialect.migrations)+1); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if l, err := b.open(ctx, db); !errors.Is(err, ErrSchemaTooNew) {
			if err == nil {
				l.Close()
			}
			t.Fatalf("open = %v, want ErrSchemaTooNew", err)
		}
	})
}

// A DSN's password never shows in an error, whether the DSN cannot be
// parsed or the server cannot be reached.
func TestOpenPostgresHidesPassword(t *testing.T) {
	const password = "s3cret-Pa55word"
	for _, dsn := range []string{
		"postgres://kpireport:" + password + "@127.0.0.1:1/test?sslmode=disable&connect_timeout=2",
		"postgres://kpireport:" + password + "@127.0.0.1:notaport/test",
		"host=127.0.0.1 port=1 user=kpireport password=" + password + " dbname=test connect_timeout=2",
		"host=127.0.0.1 port=1 user=kpireport password='" + password + "' dbname=test connect_timeout=2 sslmode=bogus",
	} {
		t.Run("", func(t *testing.T) {
			l, err := OpenPostgres(t.Context(), dsn)
			if err == nil {
				l.Close()
				t.Fatal("OpenPostgres succeeded, want an error")
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "ledger: open postgres: ") {
				t.Errorf("error = %q, want it to say what was being done", err)
			}
		})
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"WHERE a = ? AND b = ?", "WHERE a = $1 AND b = $2"},
		{"SET x = '?' WHERE y = ?", "SET x = '?' WHERE y = $1"},
		{`SELECT "a?" FROM t WHERE c IN (?, ?, ?)`, `SELECT "a?" FROM t WHERE c IN ($1, $2, $3)`},
		{"x = 'it''s ?' OR y = ?", "x = 'it''s ?' OR y = $1"},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStartRun(t *testing.T) {
	forEachBackend(t, testStartRun)
}

func testStartRun(t *testing.T, b backend) {
	l := openTest(t, b, "")
	tests := []struct {
		name        string
		job, period string
		trigger     Trigger
		wantAttempt int
		wantErr     error
	}{
		{"first", "monthly", "2026-10", TriggerScheduled, 1, nil},
		{"second of same period", "monthly", "2026-10", TriggerManual, 2, nil},
		{"other period", "monthly", "2026-09", TriggerCatchUp, 1, nil},
		{"other job", "weekly", "2026-10", TriggerScheduled, 1, nil},
		{"third of same period", "monthly", "2026-10", TriggerManual, 3, nil},
		{"unknown trigger", "monthly", "2026-10", "cron", 0, ErrInvalidValue},
		{"empty job", "", "2026-10", TriggerManual, 0, ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.StartRun(t.Context(), tt.job, tt.period, tt.trigger)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("StartRun error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if r.Attempt != tt.wantAttempt || r.Status != RunRunning || r.ID == 0 || r.StartedAt.IsZero() {
				t.Errorf("StartRun = %+v, want attempt %d, running", r, tt.wantAttempt)
			}
		})
	}
}

func TestStartRunConcurrent(t *testing.T) {
	forEachBackend(t, testStartRunConcurrent)
}

func testStartRunConcurrent(t *testing.T, be backend) {
	// Two handles on one database behave like two processes.
	db := be.newDB(t)
	a, b := openTest(t, be, db), openTest(t, be, db)
	const n = 10
	var wg sync.WaitGroup
	attempts := make(chan int, 2*n)
	errs := make(chan error, 2*n)
	for _, l := range []*Ledger{a, b} {
		for range n {
			wg.Go(func() {
				r, err := l.StartRun(context.Background(), "monthly", "2026-10", TriggerManual)
				errs <- err
				attempts <- r.Attempt
			})
		}
	}
	wg.Wait()
	close(errs)
	close(attempts)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]bool{}
	for at := range attempts {
		if seen[at] {
			t.Errorf("attempt %d handed out twice", at)
		}
		seen[at] = true
	}
	if len(seen) != 2*n {
		t.Errorf("got %d distinct attempts, want %d", len(seen), 2*n)
	}
}

func TestFinishRun(t *testing.T) {
	forEachBackend(t, testFinishRun)
}

func testFinishRun(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	arts := []Artifact{
		{Path: "out/monthly-2026-10.xlsx", SHA256: "ab12", Bytes: 1234},
		{Path: "out/monthly-2026-10.pdf", SHA256: "cd34", Bytes: 5678},
	}
	tests := []struct {
		name      string
		run       func(t *testing.T) int64 // the run to finish
		status    RunStatus
		errMsg    string
		artifacts []Artifact
		wantErr   error
	}{
		{"succeeded with artifacts", newRun(l), RunSucceeded, "", arts, nil},
		{"failed with message", newRun(l), RunFailed, "load orders.csv: no such file", nil, nil},
		{"unknown run", func(*testing.T) int64 { return 9999 }, RunSucceeded, "", nil, ErrRunNotFound},
		{"not a final status", newRun(l), RunRunning, "", nil, ErrInvalidValue},
		{"finished twice", func(t *testing.T) int64 {
			id := newRun(l)(t)
			if err := l.FinishRun(ctx, id, RunFailed, "x", nil); err != nil {
				t.Fatal(err)
			}
			return id
		}, RunSucceeded, "", nil, ErrRunFinished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.run(t)
			err := l.FinishRun(ctx, id, tt.status, tt.errMsg, tt.artifacts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FinishRun error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			runs, err := l.Runs(ctx, "monthly", 0)
			if err != nil {
				t.Fatal(err)
			}
			var got Run
			for _, r := range runs {
				if r.ID == id {
					got = r
				}
			}
			if got.Status != tt.status || got.Error != tt.errMsg || got.FinishedAt.IsZero() {
				t.Errorf("run after FinishRun = %+v", got)
			}
			if diff := cmp.Diff(tt.artifacts, got.Artifacts); diff != "" {
				t.Errorf("artifacts (-want +got):\n%s", diff)
			}
		})
	}
}

// newRun returns a function that starts a monthly run and returns its ID.
func newRun(l *Ledger) func(*testing.T) int64 {
	return func(t *testing.T) int64 {
		r, err := l.StartRun(t.Context(), "monthly", "2026-10", TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
}

func TestLastSuccessAndRuns(t *testing.T) {
	forEachBackend(t, testLastSuccessAndRuns)
}

func testLastSuccessAndRuns(t *testing.T, b backend) {
	ctx := t.Context()
	l := openTest(t, b, "")
	start := func(job, period string) Run {
		r, err := l.StartRun(ctx, job, period, TriggerScheduled)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	finish := func(r Run, s RunStatus) {
		if err := l.FinishRun(ctx, r.ID, s, "", []Artifact{{Path: r.Period + ".pdf", SHA256: "00", Bytes: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := l.LastSuccess(ctx, "monthly", "2026-10"); ok || err != nil {
		t.Fatalf("LastSuccess on empty ledger = %v, %v", ok, err)
	}
	r1 := start("monthly", "2026-10")
	finish(r1, RunSucceeded)
	r2 := start("monthly", "2026-10")
	finish(r2, RunSucceeded)
	r3 := start("monthly", "2026-10")
	finish(r3, RunFailed)
	w1 := start("weekly", "2026-W43")

	got, ok, err := l.LastSuccess(ctx, "monthly", "2026-10")
	if err != nil || !ok {
		t.Fatalf("LastSuccess = %v, %v", ok, err)
	}
	if got.ID != r2.ID || got.Attempt != 2 || len(got.Artifacts) != 1 {
		t.Errorf("LastSuccess = %+v, want run %d (attempt 2) with its artifact", got, r2.ID)
	}
	if got.StartedAt.Location() != time.UTC || !got.StartedAt.After(t0) {
		t.Errorf("StartedAt = %v, want UTC after %v", got.StartedAt, t0)
	}

	tests := []struct {
		name  string
		job   string
		limit int
		want  []int64
	}{
		{"all jobs", "", 0, []int64{w1.ID, r3.ID, r2.ID, r1.ID}},
		{"one job", "monthly", 0, []int64{r3.ID, r2.ID, r1.ID}},
		{"limited", "", 2, []int64{w1.ID, r3.ID}},
		{"unknown job", "yearly", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := l.Runs(ctx, tt.job, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("Runs IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimesAreUTCText(t *testing.T) {
	forEachBackend(t, testTimesAreUTCText)
}

func testTimesAreUTCText(t *testing.T, b backend) {
	l := openTest(t, b, "")
	r, err := l.StartRun(t.Context(), "monthly", "2026-10", TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var started string
	if err := l.db.QueryRowContext(t.Context(), l.q(`SELECT started_at FROM runs WHERE id = ?`), r.ID).Scan(&started); err != nil {
		t.Fatal(err)
	}
	want := "2026-11-01T06:00:01.123456789Z"
	if started != want {
		t.Errorf("stored started_at = %q, want %q", started, want)
	}
	if _, err := time.Parse(time.RFC3339Nano, started); err != nil {
		t.Errorf("stored time is not RFC 3339: %v", err)
	}
}

func TestScheduleSince(t *testing.T) {
	forEachBackend(t, testScheduleSince)
}

func testScheduleSince(t *testing.T, b backend) {
	ctx := context.Background()
	l := openTest(t, b, "")
	first := time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC)
	got, err := l.ScheduleSince(ctx, "monthly", first)
	if err != nil || !got.Equal(first) {
		t.Fatalf("first call = %v, %v; want %v", got, err, first)
	}
	got, err = l.ScheduleSince(ctx, "monthly", first.AddDate(0, 2, 0))
	if err != nil || !got.Equal(first) {
		t.Fatalf("second call = %v, %v; want the first time %v", got, err, first)
	}
	if got, _ := l.ScheduleSince(ctx, "weekly", first.AddDate(0, 1, 0)); !got.Equal(first.AddDate(0, 1, 0)) {
		t.Fatalf("other job = %v", got)
	}
}

func TestRunning(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		l := openTest(t, b, "")
		var ids []int64
		for i, period := range []string{"2026-08", "2026-09", "2026-10"} {
			r, err := l.StartRun(ctx, "monthly", period, TriggerScheduled)
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if err := l.FinishRun(ctx, r.ID, RunSucceeded, "", nil); err != nil {
					t.Fatal(err)
				}
				continue
			}
			ids = append(ids, r.ID)
		}
		runs, err := l.Running(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("Running IDs (-want +got):\n%s", diff)
		}
	})
}

// PeriodRuns lists the runs of one (job, period) only, newest first, with their
// artifacts; SetClock gives the times the ledger records.
func TestPeriodRuns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		l := openTest(t, b, "")
		at := time.Date(2027, 1, 1, 7, 0, 0, 0, time.UTC)
		l.SetClock(func() time.Time { return at })
		var want []int64
		for i, jp := range [][2]string{{"monthly", "2026-10"}, {"monthly", "2026-11"}, {"weekly", "2026-10"}, {"monthly", "2026-10"}} {
			r, err := l.StartRun(ctx, jp[0], jp[1], TriggerScheduled)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := l.FinishRun(ctx, r.ID, RunFailed, "load orders.csv line 3", []Artifact{{Path: "a.pdf", SHA256: "00", Bytes: 1}}); err != nil {
					t.Fatal(err)
				}
			}
			if jp == [2]string{"monthly", "2026-10"} {
				want = append([]int64{r.ID}, want...)
			}
		}
		runs, err := l.PeriodRuns(ctx, "monthly", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("PeriodRuns IDs (-want +got):\n%s", diff)
		}
		if r := runs[1]; r.Status != RunFailed || len(r.Artifacts) != 1 || !r.StartedAt.Equal(at) || !r.FinishedAt.Equal(at) {
			t.Errorf("first run = %+v, want failed at %v with its artifact", r, at)
		}
		if runs, err := l.PeriodRuns(ctx, "monthly", "2026-12"); err != nil || len(runs) != 0 {
			t.Errorf("PeriodRuns of a period without runs = %+v, %v", runs, err)
		}
	})
}
