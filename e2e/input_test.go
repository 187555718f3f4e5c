package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV saved as Windows-1252 (Dutch Excel's default) with "Fryslân": validate
// passed and generate panicked in fpdf. Now validate fails with the file, line,
// column and the fix, and with source.encoding = "windows-1252" the report is made.
func TestWindows1252Export(t *testing.T) {
	t.Parallel()
	cfg := demoCompany(t, "csv")
	orders := filepath.Join(filepath.Dir(cfg), "data", "orders.csv")
	setCSVCell(t, orders, 4, "region", "Frysl\xe2n")
	res := kpireport(t, nil, "validate", "--config", cfg)
	want := `orders.csv line 4 column region: "Frysl\xe2n" is not valid UTF-8 (byte 0xE2 at character 6): save the file as "CSV UTF-8", or set source.encoding = "windows-1252"`
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Fatalf("validate: want exit 1 and %s, got %s", want, res)
	}
	res = kpireport(t, nil, "generate", "--config", cfg, "--job", "monthly", "--period", "2026-10")
	if res.code != 1 || !strings.Contains(res.stderr, want) || strings.Contains(res.stderr, "panic") {
		t.Fatalf("generate: want exit 1 and %s, got %s", want, res)
	}

	editConfig(t, cfg, `dir = "data"`, "dir = \"data\"\nencoding = \"windows-1252\"")
	mustRun(t, nil, "validate", "--config", cfg)
	mustRun(t, nil, "generate", "--config", cfg, "--job", "monthly", "--period", "2026-10")
	pdfs, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "reports", "*.pdf"))
	if len(pdfs) != 1 {
		t.Fatalf("generate made %v, want one PDF", pdfs)
	}
	if fi, err := os.Stat(pdfs[0]); err != nil || fi.Size() == 0 {
		t.Fatalf("PDF %s: %v", pdfs[0], err)
	}
}

// An order whose customer is not in customers is a warning in validate, kpis (in
// the report's language) and the run log; with orphan_orders = "error", an error.
func TestOrphanOrders(t *testing.T) {
	t.Parallel()
	cfg := demoCompany(t, "csv")
	orders := filepath.Join(filepath.Dir(cfg), "data", "orders.csv")
	setCSVCell(t, orders, 7, "customer_id", "C-GHOST")
	setCSVCell(t, orders, 9, "customer_id", "C-GHOST")

	res := mustRun(t, nil, "validate", "--config", cfg)
	want := `warning: 2 orders have a customer_id that is not in customers, such as order "O0000006" (orders.csv line 7)`
	if !strings.Contains(res.stdout, want) {
		t.Errorf("validate: stdout lacks %s:\n%s", want, res)
	}
	res = mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly", "--period", "2026-10")
	if want := "Warnings:\n  2 orders have a customer_id that is not in customers, such as order \"O0000006\" (orders.csv line 7)"; !strings.Contains(res.stdout, want) {
		t.Errorf("kpis: stdout lacks %s:\n%s", want, res)
	}
	if !strings.Contains(res.stderr, "data: 2 orders have a customer_id") {
		t.Errorf("kpis: the log lacks the warning:\n%s", res.stderr)
	}

	editConfig(t, cfg, `language = "en"`, `language = "nl"`)
	res = mustRun(t, nil, "kpis", "--config", cfg, "--job", "monthly", "--period", "2026-10")
	if want := "Waarschuwingen:\n  2 orders hebben een customer_id die niet in customers staat, zoals order \"O0000006\" (orders.csv line 7)"; !strings.Contains(res.stdout, want) {
		t.Errorf("kpis nl: stdout lacks %s:\n%s", want, res)
	}

	editConfig(t, cfg, `dir = "data"`, "dir = \"data\"\norphan_orders = \"error\"")
	res = kpireport(t, nil, "validate", "--config", cfg)
	want = `sources: orders of unknown customers: 2 orders have a customer_id that is not in customers, such as order "O0000006" (orders.csv line 7)`
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("validate with orphan_orders = \"error\": want exit 1 and %s, got %s", want, res)
	}
}
