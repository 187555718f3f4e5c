package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// historyRun is a line of the runs table of `kpireport history`.
type historyRun struct {
	ID                           int
	Job, Period, Trigger, Status string
	Attempt                      int
	Line                         string // the whole line, for its error text
}

// historyDelivery is a line of the deliveries table of `kpireport history`.
type historyDelivery struct {
	Job, Period, Kind, Recipient, Status string
	Attempts                             int
	Line                                 string
}

// history is what `kpireport history` lists.
type history struct {
	Runs       []historyRun // newest first
	Deliveries []historyDelivery
}

// parseHistory reads the two tables `kpireport history` prints: the runs (RUN JOB
// PERIOD TRIGGER ATTEMPT STATUS ...) and, after a blank line, the deliveries (JOB
// PERIOD KIND RECIPIENT STATUS ATTEMPTS ...). A line is taken as a row only when its
// columns have the expected kinds of value, so that an error text continued on the
// next line is not read as a row.
func parseHistory(t *testing.T, out string) history {
	t.Helper()
	var h history
	table := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case strings.HasPrefix(line, "RUN "):
			table = "runs"
			continue
		case strings.HasPrefix(line, "JOB "):
			table = "deliveries"
			continue
		}
		switch table {
		case "runs":
			if len(f) < 6 || !isNumber(f[0]) || !isNumber(f[4]) ||
				!slices.Contains([]string{"scheduled", "catch-up", "manual"}, f[3]) {
				continue
			}
			id, _ := strconv.Atoi(f[0])
			attempt, _ := strconv.Atoi(f[4])
			h.Runs = append(h.Runs, historyRun{ID: id, Job: f[1], Period: f[2], Trigger: f[3], Attempt: attempt, Status: f[5], Line: line})
		case "deliveries":
			if len(f) < 6 || !slices.Contains([]string{"to", "cc", "bcc"}, f[2]) || !isNumber(f[5]) {
				continue
			}
			n, _ := strconv.Atoi(f[5])
			h.Deliveries = append(h.Deliveries, historyDelivery{Job: f[0], Period: f[1], Kind: f[2], Recipient: f[3], Status: f[4], Attempts: n, Line: line})
		default:
			t.Fatalf("history: a line before any table header: %q\n%s", line, out)
		}
	}
	if table == "" {
		t.Fatalf("history: no table:\n%s", out)
	}
	return h
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// historyOf runs `kpireport history` on cfg and parses it.
func historyOf(t *testing.T, env []string, cfg string, args ...string) history {
	t.Helper()
	return parseHistory(t, mustRun(t, env, append([]string{"history", "--config", cfg}, args...)...).stdout)
}

// deliveryStatuses returns recipient → status of the deliveries of job and period.
func (h history) deliveryStatuses(job, period string) map[string]string {
	m := map[string]string{}
	for _, d := range h.Deliveries {
		if d.Job == job && d.Period == period {
			m[d.Recipient] = d.Status
		}
	}
	return m
}
