package ledger

import (
	"slices"
	"testing"
)

// HeldPeriods lists the periods whose latest run was held, or failed after a
// hold, and no others: not one sent after a hold, not one that only failed, not
// one still running.
func TestHeldPeriods(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l := openTest(t, b, "")
		ctx := t.Context()
		runs := []struct {
			job, period string
			status      RunStatus
		}{
			{"monthly", "2026-09", RunHeld}, {"monthly", "2026-09", RunSucceeded}, // sent after the hold
			{"monthly", "2026-10", RunHeld}, {"monthly", "2026-10", RunHeld}, // held twice
			{"monthly", "2026-11", RunFailed},                                  // failed only
			{"weekly", "2026-W44", RunHeld}, {"weekly", "2026-W44", RunFailed}, // failed after a hold
			{"weekly", "2026-W45", RunHeld}, {"weekly", "2026-W45", RunRunning}, // running again
		}
		for _, r := range runs {
			run, err := l.StartRun(ctx, r.job, r.period, TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != RunRunning {
				if err := l.FinishRun(ctx, run.ID, r.status, "", nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		held, err := l.HeldPeriods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range held {
			got = append(got, r.Job+" "+r.Period+" "+string(r.Status))
		}
		if want := []string{"monthly 2026-10 held", "weekly 2026-W44 failed"}; !slices.Equal(got, want) {
			t.Errorf("HeldPeriods = %q, want %q", got, want)
		}
	})
}
