package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIncompleteAndHeld checks from the command line that a month that has not
// ended is refused unless --allow-incomplete, one that has not started always,
// and that a header-only orders.csv is held: generate --send exits 1 and mails
// nothing, history shows the run held with its reason, kpis and validate warn,
// and --force sends it.
func TestIncompleteAndHeld(t *testing.T) {
	t.Parallel()
	cfg := demoCompany(t, "csv")
	dir := filepath.Dir(cfg)
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(ams)
	current := now.Format("2006-01")
	next := time.Date(now.Year()+1, now.Month(), 1, 0, 0, 0, 0, ams)
	ends := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, ams).Format("2006-01-02")

	for _, cmd := range []string{"kpis", "generate", "backfill"} {
		args := []string{cmd, "--config", cfg, "--job", "monthly", "--period", current}
		if cmd == "backfill" {
			args = []string{cmd, "--config", cfg, "--job", "monthly", "--from", current, "--to", current}
		}
		res := kpireport(t, nil, args...)
		want := "period " + current + " has not ended (it ends " + ends + " 00:00 Europe/Amsterdam); use --allow-incomplete for a report to date"
		if res.code != 2 || !strings.Contains(res.stderr, want) {
			t.Errorf("want exit 2 and %q, got %s", want, res)
		}
		res = kpireport(t, nil, append(args[:len(args)-1], next.Format("2006-01"), "--allow-incomplete")...)
		if res.code != 2 || !strings.Contains(res.stderr, "has not started") {
			t.Errorf("want exit 2 for a period that has not started, got %s", res)
		}
	}
	res := mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly", "--period", current, "--allow-incomplete")
	if !strings.Contains(res.stdout, "this report is to date") {
		t.Errorf("kpis of the current month does not say to date:\n%s", res.stdout)
	}

	// A header-only orders export.
	orders := filepath.Join(dir, "data", "orders.csv")
	full, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(full), "\n")
	if err := os.WriteFile(orders, []byte(header+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reason := "0 orders in the period, fewer than min_orders = 1"
	res = mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly")
	if !strings.Contains(res.stdout, "warning: monthly ") || !strings.Contains(res.stdout, reason) {
		t.Errorf("kpis does not warn of the held report:\n%s", res.stdout)
	}
	res = mustRun(t, nil, "validate", "--config", cfg)
	if !strings.Contains(res.stdout, "warning: monthly ") || !strings.Contains(res.stdout, reason) {
		t.Errorf("validate does not warn of the held report:\n%s", res.stdout)
	}
	res = kpireport(t, nil, "generate", "--config", cfg, "--job", "monthly", "--send")
	if res.code != 1 || !strings.Contains(res.stderr, "held, not sent: "+reason) {
		t.Errorf("generate --send of header-only orders: want exit 1, held; got %s", res)
	}
	if emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(emls) != 0 {
		t.Errorf("a held report was mailed: %v", emls)
	}
	res = mustRun(t, nil, "history", "--config", cfg)
	if !strings.Contains(res.stdout, " held ") || !strings.Contains(res.stdout, "held: "+reason) {
		t.Errorf("history does not show the held run and its reason:\n%s", res.stdout)
	}
	res = mustRun(t, nil, "generate", "--config", cfg, "--job", "monthly", "--send", "--force")
	if strings.Count(res.stdout, "sent to ") != 3 {
		t.Errorf("--force did not send to the 3 recipients:\n%s", res.stdout)
	}
	res = mustRun(t, nil, "history", "--config", cfg)
	if !strings.Contains(res.stdout, "succeeded, forced") {
		t.Errorf("history does not show the forced run:\n%s", res.stdout)
	}
}
