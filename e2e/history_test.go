package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
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

// historyFile is a line of the files table of `kpireport history`.
type historyFile struct {
	Run              int
	Name, Size, Hash string // Size as printed: "61.2 KiB"
	Line             string
}

// history is what `kpireport history` lists.
type history struct {
	Runs       []historyRun // newest first
	Files      []historyFile
	Deliveries []historyDelivery
}

// filesOf returns the files of run id, in the order they are listed.
func (h history) filesOf(id int) []historyFile {
	var out []historyFile
	for _, f := range h.Files {
		if f.Run == id {
			out = append(out, f)
		}
	}
	return out
}

// parseHistory reads the tables `kpireport history` prints: the runs (RUN JOB PERIOD
// TRIGGER ATTEMPT STATUS ...) and, each after a blank line when it has rows, the
// files of those runs (RUN FILE SIZE SHA-256) and the deliveries (JOB PERIOD KIND
// RECIPIENT STATUS ATTEMPTS ...). A line is taken as a row only when its columns
// have the expected kinds of value, so that an error text continued on the next line
// is not read as a row.
func parseHistory(t *testing.T, out string) history {
	t.Helper()
	var h history
	table := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case len(f) > 1 && f[0] == "RUN" && f[1] == "FILE":
			table = "files"
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
		case "files":
			// RUN FILE SIZE (a number and a unit) SHA-256; a file name may hold spaces.
			if len(f) < 5 || !isNumber(f[0]) {
				continue
			}
			id, _ := strconv.Atoi(f[0])
			n := len(f)
			h.Files = append(h.Files, historyFile{Run: id, Name: strings.Join(f[1:n-3], " "),
				Size: f[n-3] + " " + f[n-2], Hash: f[n-1], Line: line})
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

// checkHistoryFiles checks the files `kpireport history` lists for a run against
// the workbook and PDF named base in dir: the file name, the short SHA-256 (the
// first 12 hex digits of the file's) and the size, as rounded to a tenth of a unit.
func checkHistoryFiles(t *testing.T, files []historyFile, dir, base string) {
	t.Helper()
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("history lists %s: %v", f.Name, err)
			continue
		}
		sum := sha256.Sum256(b)
		if want := hex.EncodeToString(sum[:])[:12]; f.Hash != want {
			t.Errorf("history: %s has SHA-256 %s, want %s: %s", f.Name, f.Hash, want, f.Line)
		}
		var v float64
		var unit string
		if _, err := fmt.Sscanf(f.Size, "%g %s", &v, &unit); err != nil {
			t.Errorf("history: size %q of %s is not a number and a unit: %v", f.Size, f.Name, err)
			continue
		}
		scale := map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20}[unit]
		if n := float64(len(b)); scale == 0 || math.Abs(v*scale-n) > 0.05*scale+0.5 {
			t.Errorf("history: %s has size %s, want about %d bytes: %s", f.Name, f.Size, len(b), f.Line)
		}
	}
	if want := []string{base + ".xlsx", base + ".pdf"}; !slices.Equal(names, want) {
		t.Errorf("history: files %v, want %v", names, want)
	}
}
