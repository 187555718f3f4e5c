package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that a running process writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is a program running in the background.
type process struct {
	args           []string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when it exited
	err            error         // of Wait, once done is closed
}

// startKpireport starts kpireport with args and extra environment variables; it is
// killed at the end of the test if it still runs.
func startKpireport(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	return startProcess(t, kpireportBin, env, args...)
}

// startProcess starts the program bin with args and extra environment variables; it
// is killed at the end of the test if it still runs.
func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{args: args, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s %s: %v", bin, strings.Join(args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// kill9 kills the process with SIGKILL, as a crash or the OOM killer would, and
// checks that it was still running then.
func (p *process) kill9(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("kpireport %s exited before it could be killed: %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(p.args, " "), p.err, p.stdout.String(), p.stderr.String())
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	<-p.done
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) {
		t.Fatalf("kpireport after kill -9: %v", p.err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("kpireport was not killed by SIGKILL but ended with %v", p.err)
	}
}

// stop sends sig and waits, at most timeout, for the process to exit.
func (p *process) stop(t *testing.T, sig os.Signal, timeout time.Duration) result {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("kpireport %s did not stop within %s after %v\nstderr:\n%s",
			strings.Join(p.args, " "), timeout, sig, p.stderr.String())
	}
	res := result{args: p.args, stdout: p.stdout.String(), stderr: p.stderr.String()}
	var exit *exec.ExitError
	switch {
	case p.err == nil:
	case errors.As(p.err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("kpireport %s: %v\nstderr:\n%s", strings.Join(p.args, " "), p.err, res.stderr)
	}
	return res
}

// eventually polls cond every 50 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
