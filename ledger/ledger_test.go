package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fake "now" of every test ledger.
var t0 = time.Date(2026, 11, 1, 6, 0, 0, 123456789, time.UTC)

// openTest opens a ledger in a fresh folder with a clock that ticks one
// second per call, and closes it when the test ends.
func openTest(t *testing.T, path string) *Ledger {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "ledger.db")
	}
	l, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
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

func TestOpenCreatesFolderAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "sub", "ledger.db")
	l := openTest(t, path)

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
	vs := schemaVersions(t, l)
	if len(vs) != len(migrations) || vs[len(vs)-1].Version != len(migrations) {
		t.Errorf("schema_version = %+v, want versions 1..%d", vs, len(migrations))
	}
}

func TestReopenIsNoOp(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(ctx, path)
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

	l2 := openTest(t, path)
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
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, '')`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			l.Close()
		}
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
}

func TestStartRun(t *testing.T) {
	l := openTest(t, "")
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
	// Two handles on one file behave like two processes.
	path := filepath.Join(t.TempDir(), "ledger.db")
	a, b := openTest(t, path), openTest(t, path)
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
	ctx := t.Context()
	l := openTest(t, "")
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
	ctx := t.Context()
	l := openTest(t, "")
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
	l := openTest(t, "")
	r, err := l.StartRun(t.Context(), "monthly", "2026-10", TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var started string
	if err := l.db.QueryRowContext(t.Context(), `SELECT started_at FROM runs WHERE id = ?`, r.ID).Scan(&started); err != nil {
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
	ctx := context.Background()
	l, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
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
