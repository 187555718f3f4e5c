package jobs

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestDeadLocalNode(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		node string
		want bool
	}{
		{host + "-" + strconv.Itoa(deadPID(t)), true},
		{host + "-" + strconv.Itoa(os.Getpid()), false},   // this process
		{host + "-" + strconv.Itoa(os.Getppid()), false},  // alive
		{"other-host-" + strconv.Itoa(deadPID(t)), false}, // cannot know
		{"replica-a", false},
	}
	for _, tt := range tests {
		if got := deadLocalNode(tt.node); got != tt.want {
			t.Errorf("deadLocalNode(%q) = %v, want %v", tt.node, got, tt.want)
		}
	}
}

// A run by hand right after a crash is not blocked by the dead process's claim.
func TestRunTakesOverClaimOfDeadProcess(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	host, _ := os.Hostname()
	dead := host + "-" + strconv.Itoa(deadPID(t))
	ctx := context.Background()
	if ok, err := svc.Ledger.Claim(ctx, "monthly", "2026-10", dead, time.Hour, time.Now()); !ok || err != nil {
		t.Fatalf("claim for the dead process: %v %v", ok, err)
	}
	res, err := svc.Run(ctx, job, period.Period{Kind: period.Month, Year: 2026, N: 10}, RunOptions{Trigger: ledger.TriggerManual, Send: true})
	if err != nil {
		t.Fatalf("run after a crash: %v", err)
	}
	if res.Run.Status != ledger.RunRunning && len(res.Delivery.Sent) != 3 {
		t.Errorf("delivered %+v, want 3 sent", res.Delivery)
	}
}
