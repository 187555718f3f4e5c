package jobs

import (
	"errors"
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
