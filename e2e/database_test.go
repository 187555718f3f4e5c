package e2e

import (
	"os"
	"path/filepath"
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
	}{
		{sqltest.Postgres, sqltest.NewPostgres, map[string]map[string]string{
			"orders":    {"order_date": "TIMESTAMPTZ", "amount": "NUMERIC(18,4)", "cost": "NUMERIC(18,4)", "recurring": "BOOLEAN"},
			"customers": {"acquired_date": "DATE", "churned_date": "DATE"},
			"leads":     {"created_date": "DATE", "qualified_date": "DATE", "converted_date": "DATE"},
			"deals":     {"created_date": "DATE", "closed_date": "DATE", "value": "NUMERIC(18,4)"},
			"spend":     {"spend_date": "DATE", "amount": "NUMERIC(18,4)"},
			"calls":     {"call_date": "TIMESTAMP"},
		}},
		{sqltest.MySQL, sqltest.NewMySQL, map[string]map[string]string{
			"orders":    {"order_date": "TIMESTAMP NULL", "amount": "DECIMAL(18,4)", "cost": "DECIMAL(18,4)", "recurring": "BOOLEAN"},
			"customers": {"acquired_date": "DATE", "churned_date": "DATE"},
			"leads":     {"created_date": "DATE", "qualified_date": "DATE", "converted_date": "DATE"},
			"deals":     {"created_date": "DATE", "closed_date": "DATE", "value": "DECIMAL(18,4)"},
			"spend":     {"spend_date": "DATE", "amount": "DECIMAL(18,4)"},
			"calls":     {"call_date": "DATETIME"},
		}},
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

			// source.statement_timeout reaches the database: 1ms cancels the queries.
			editConfig(t, dbCfg, "dsn_env = \"ACME_SALES_DSN\"", "dsn_env = \"ACME_SALES_DSN\"\nstatement_timeout = \"1ms\"")
			res = kpireport(t, env, args...)
			// PostgreSQL: "canceling statement due to statement timeout"; MariaDB:
			// "max_statement_time exceeded"; MySQL: "maximum statement execution time exceeded".
			if res.code != 1 || !strings.Contains(strings.ToLower(res.stderr), "statement") {
				t.Errorf("with statement_timeout = 1ms: exit %d, stderr %q; want 1 and a timeout", res.code, res.stderr)
			}
		})
	}
}
