package jobs

import (
	"context"
	"time"

	"errors"
	"github.com/kpireport/kpireport/ledger"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// deadLocalNode reports whether node is the default name (<hostname>-<pid>) of a
// process of this machine that no longer runs: its claim can be taken over at once
// instead of waiting for the lease to expire, so that a run by hand right after a
// crash is not blocked.
func deadLocalNode(node string) bool {
	host, err := os.Hostname()
	if err != nil || !strings.HasPrefix(node, host+"-") {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(node, host+"-"))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// RunInterrupted says whether r, a run the ledger has as running, looks
// interrupted: no replica holds its period's claim, the claim has expired, or
// the process of this machine that held it no longer runs. history shows such
// a run as "interrupted?" (the next run of the period, or the daemon's resume,
// closes it).
func RunInterrupted(ctx context.Context, l *ledger.Ledger, r ledger.Run, now time.Time) bool {
	if r.Status != ledger.RunRunning {
		return false
	}
	c, ok, err := l.ClaimOf(ctx, r.Job, r.Period)
	if err != nil {
		return false // unknown: leave it as the ledger says
	}
	return !ok || !c.ExpiresAt.After(now) || deadLocalNode(c.Node)
}
