package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
)

// TestDatabaseSource runs `kpireport kpis` and `validate` on the demo company loaded
// into PostgreSQL and MySQL, configured as an operator would: type = "postgres" or
// "mysql" with the connection string in the variable dsn_env names (not the package
// default). The KPIs equal those of the same data as CSV; without the variable the
// run fails and names it.
func TestDatabaseSource(t *testing.T) {
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flavor string
		open   func(testing.TB) *sqltest.DB
		types  map[string]map[string]string
		// sleepingCalls reads the calls table after a 2 s sleep; timeoutErr is the
		// server's word for a statement cancelled by its time limit.
		sleepingCalls string
		timeoutErr    *regexp.Regexp
	}{
		{sqltest.Postgres, sqltest.NewPostgres, map[string]map[string]string{
			"orders":    {"order_date": "TIMESTAMPTZ", "amount": "NUMERIC(18,4)", "cost": "NUMERIC(18,4)", "recurring": "BOOLEAN"},
			"customers": {"acquired_date": "DATE", "churned_date": "DATE"},
			"leads":     {"created_date": "DATE", "qualified_date": "DATE", "converted_date": "DATE"},
			"deals":     {"created_date": "DATE", "closed_date": "DATE", "value": "NUMERIC(18,4)"},
			"spend":     {"spend_date": "DATE", "amount": "NUMERIC(18,4)"},
			"calls":     {"call_date": "TIMESTAMP"},
		}, "SELECT c.* FROM calls c CROSS JOIN pg_sleep(1) s", regexp.MustCompile(`canceling statement due to statement timeout`)},
		{sqltest.MySQL, sqltest.NewMySQL, map[string]map[string]string{
			"orders":    {"order_date": "TIMESTAMP NULL", "amount": "DECIMAL(18,4)", "cost": "DECIMAL(18,4)", "recurring": "BOOLEAN"},
			"customers": {"acquired_date": "DATE", "churned_date": "DATE"},
			"leads":     {"created_date": "DATE", "qualified_date": "DATE", "converted_date": "DATE"},
			"deals":     {"created_date": "DATE", "closed_date": "DATE", "value": "DECIMAL(18,4)"},
			"spend":     {"spend_date": "DATE", "amount": "DECIMAL(18,4)"},
			"calls":     {"call_date": "DATETIME"},
		}, "SELECT c.* FROM calls c CROSS JOIN (SELECT SLEEP(1) AS z) s",
			// MariaDB, MySQL 8
			regexp.MustCompile(`max_statement_time exceeded|maximum statement execution time exceeded`)},
	}
	cfg := demoCompany(t, "csv")
	data := filepath.Join(filepath.Dir(cfg), "data")
	kpis := []string{"kpis", "--config", cfg, "--job", "monthly", "--period", "2026-10", "--format", "json"}
	want := mustRun(t, nil, kpis...).stdout
	for _, tt := range tests {
		t.Run(tt.flavor, func(t *testing.T) {
			db := tt.open(t)
			pk := map[string]string{"orders": "order_id", "customers": "customer_id", "leads": "lead_id", "deals": "deal_id"}
			for _, name := range []string{"orders", "customers", "leads", "deals", "spend", "calls"} {
				db.LoadCSV(t, filepath.Join(data, name+".csv"), name, tt.types[name], pk[name], amsterdam)
			}
			dbCfg := filepath.Join(t.TempDir(), "kpireport.toml")
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dbCfg, b, 0o644); err != nil {
				t.Fatal(err)
			}
			editConfig(t, dbCfg, "type = \"csv\"", "type = \""+tt.flavor+"\"\ndsn_env = \"ACME_SALES_DSN\"", "dir = \"data\"\n", "")
			env := []string{"ACME_SALES_DSN=" + db.DSN}

			args := append([]string{}, kpis...)
			args[2] = dbCfg
			got := mustRun(t, env, args...).stdout
			if got != want {
				t.Errorf("kpis from %s differ from the CSV source:\n%s\nwant\n%s", tt.flavor, got, want)
			}
			mustRun(t, env, "validate", "--config", dbCfg)

			res := kpireport(t, nil, args...)
			if res.code != 1 || !strings.Contains(res.stderr, "ACME_SALES_DSN") {
				t.Errorf("without ACME_SALES_DSN: exit %d, stderr %q; want 1 and the variable named", res.code, res.stderr)
			}

			// source.statement_timeout reaches the database: a query that sleeps 1 s is
			// cancelled by the server after 200ms.
			appendConfig(t, dbCfg, "\n[source.tables.calls]\nquery = \""+tt.sleepingCalls+"\"\n")
			editConfig(t, dbCfg, "dsn_env = \"ACME_SALES_DSN\"", "dsn_env = \"ACME_SALES_DSN\"\nstatement_timeout = \"200ms\"")
			start := time.Now()
			res = kpireport(t, env, args...)
			if took := time.Since(start); res.code != 1 || !tt.timeoutErr.MatchString(res.stderr) || took > time.Second {
				t.Errorf("with statement_timeout = 200ms: exit %d after %v, stderr %q; want 1 with %q, before the 1 s sleep ends",
					res.code, took, res.stderr, tt.timeoutErr)
			}
		})
	}
}
