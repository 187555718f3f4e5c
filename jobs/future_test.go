package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/demo"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/ledger"
)

// One row dated in the future (a typo: 2062 for 2026) does not make an export cut
// off in the middle of the month fresh (tryout F31): the watermark is the latest
// date at or before the run's today, so November's report is held for freshness,
// and the row is a data warning naming its table and date.
func TestFutureRowDoesNotFreshenCutOffExport(t *testing.T) {
	for _, tt := range []struct {
		name   string
		future bool
	}{
		{"cut off", false},
		{"cut off plus a 2062 order", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Every table ends on 14 November.
			res, err := demo.Generate(context.Background(), demo.Options{
				Dir: dir, Orders: 3000, Format: "csv", End: time.Date(2026, 11, 15, 0, 0, 0, 0, amsterdam),
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(res.ConfigPath)
			if err != nil {
				t.Fatal(err)
			}
			job := onlyJob(cfg, "monthly", "0 7 1 * *", "latest")
			job.Quality.MaxDrop = ptr(1.0) // freshness alone
			if tt.future {
				appendFutureOrder(t, cfg)
			}
			now := time.Date(2026, 12, 2, 9, 0, 0, 0, amsterdam)
			svc, _, mails := gateService(t, cfg, &now)

			rep, err := svc.Runner.Compute(context.Background(), job, mustPeriod(t, "2026-11"))
			if err != nil {
				t.Fatal(err)
			}
			var future []kpi.Warning
			for _, w := range rep.Warnings {
				if w.Code == kpi.WarnFutureRows {
					future = append(future, w)
				}
			}
			if tt.future {
				want := kpi.Warning{Code: kpi.WarnFutureRows, Count: 1, Example: "2062-11-01", Where: "orders"}
				if len(future) != 1 || future[0] != want {
					t.Errorf("warnings = %+v, want %+v", rep.Warnings, want)
				}
			} else if len(future) != 0 {
				t.Errorf("warnings = %+v, want no future rows", rep.Warnings)
			}

			run, err := svc.Run(context.Background(), job, mustPeriod(t, "2026-11"), RunOptions{Trigger: ledger.TriggerManual, Send: true})
			if err != nil && len(run.Held) == 0 {
				t.Fatal(err)
			}
			if sent := len(mails.take()); len(run.Held) == 0 || sent != 0 {
				t.Fatalf("held = %q, sent %d mails; want held for freshness, none sent", run.Held, sent)
			}
			if !strings.Contains(strings.Join(run.Held, "; "), "the data ends on 2026-11-15 (watermark)") {
				t.Errorf("held = %q, want the watermark 2026-11-15 named", run.Held)
			}
		})
	}
}

// appendFutureOrder appends a copy of the last order with a new order_id, dated
// 1 November 2062.
func appendFutureOrder(t *testing.T, cfg *config.Config) {
	t.Helper()
	path := filepath.Join(cfg.Source.Dir, "orders.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	header, last := strings.Split(lines[0], ","), strings.Split(lines[len(lines)-1], ",")
	for i, h := range header {
		switch h {
		case "order_id":
			last[i] = "O-FUTURE"
		case "order_date":
			last[i] = "2062-11-01" + last[i][len("2026-11-14"):]
		}
	}
	out := string(b) + strings.Join(last, ",") + "\n"
	t.Logf("appended %s", strings.Join(last, ","))
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}
