package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/mysql"
	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
)

var october = kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10})

var amsterdam, _ = time.LoadLocation("Europe/Amsterdam")

// company creates a small valid company in a fresh database. The order times are
// TIMESTAMP values (instants), inserted in UTC.
func company(t *testing.T) *sqltest.DB {
	t.Helper()
	db := sqltest.NewMySQL(t)
	db.Exec(t,
		"CREATE TABLE orders (order_id VARCHAR(16) PRIMARY KEY, customer_id VARCHAR(16), order_date TIMESTAMP NULL, amount DECIMAL(18,4))",
		"SET time_zone = '+00:00'",
		"CREATE TABLE customers (customer_id VARCHAR(16) PRIMARY KEY, acquired_date DATE)",
		"INSERT INTO customers VALUES ('C1', '2026-01-01')")
	conn, err := db.SQL.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET time_zone = '+00:00'",
		"INSERT INTO orders VALUES ('O1', 'C1', '2026-09-30 22:30:00', 10), ('O2', 'C1', '2026-09-30 21:30:00', 5)"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func load(t *testing.T, src sources.Source) (*kpi.Data, error) {
	t.Helper()
	defer src.Close()
	return src.Load(context.Background(), october)
}

func TestOpenFromEnvironment(t *testing.T) {
	db := company(t)
	const env = "KPIREPORT_TEST_DSN_FOR_OPEN"
	defer func(old string) { mysql.DSNEnv = old }(mysql.DSNEnv)
	mysql.DSNEnv = env

	t.Setenv(env, "")
	_, err := sources.Open(sources.Options{Type: "mysql"})
	if !errors.Is(err, sources.ErrOptions) || !strings.Contains(err.Error(), env) {
		t.Fatalf("without %s: err = %v, want ErrOptions naming the variable", env, err)
	}

	t.Setenv(env, db.DSN)
	src, err := sources.Open(sources.Options{Type: "mysql", Location: amsterdam})
	if err != nil {
		t.Fatal(err)
	}
	data, err := load(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Windows[october.Period.Range()].Revenue.String(); got != "10" {
		t.Errorf("October revenue in Amsterdam = %s, want 10", got)
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	const password = "Sup3r-Secret-PW"
	db := company(t)
	cfg, err := driver.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Passwd = password
	wrongPassword := cfg.FormatDSN()
	tests := []struct{ name, dsn string }{
		{"closed port", "kpi:" + password + "@tcp(127.0.0.1:1)/test?timeout=2s"},
		{"malformed", "kpi:" + password + "@tcp(127.0.0.1:3306/test"},
		{"wrong password", wrongPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := mysql.OpenDSN(sources.Options{Type: "mysql"}, tt.dsn)
			if err == nil {
				_, err = load(t, src)
			}
			if err == nil {
				t.Skip("the server accepted the password")
			}
			t.Log(err)
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), tt.dsn) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestTransaction(t *testing.T) {
	db := company(t)
	var version string
	if err := db.SQL.QueryRow("SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	limit := "@@max_execution_time = 60000"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		limit = "@@max_statement_time = 60"
	}
	defer func(old time.Duration) { mysql.StatementTimeout = old }(mysql.StatementTimeout)
	mysql.StatementTimeout = time.Minute
	check := "SELECT * FROM orders WHERE " + limit
	src, err := mysql.OpenDSN(sources.Options{Type: "mysql", Location: amsterdam,
		Tables: map[string]sources.Table{"orders": {Query: check}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	data, err := load(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Windows[october.Period.Range()].Revenue.String(); got != "10" {
		t.Errorf("revenue %s: the statements did not run with the time limit", got)
	}

	db.Exec(t, "CREATE TABLE hits (n INT)",
		"CREATE FUNCTION hit() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO hits VALUES (1); RETURN 1; END")
	write := "SELECT * FROM orders WHERE hit() = 1"
	src, err = mysql.OpenDSN(sources.Options{Type: "mysql", Tables: map[string]sources.Table{"orders": {Query: write}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, src); err == nil || !strings.Contains(err.Error(), "READ ONLY transaction") {
		t.Errorf("a query that writes: err = %v, want a read-only transaction error", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	db := company(t)
	defer func(old time.Duration) { mysql.StatementTimeout = old }(mysql.StatementTimeout)
	mysql.StatementTimeout = 100 * time.Millisecond
	slow := "SELECT o.* FROM orders AS o WHERE SLEEP(2) = 0"
	src, err := mysql.OpenDSN(sources.Options{Type: "mysql", Tables: map[string]sources.Table{"orders": {Query: slow}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = load(t, src)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "interrupted") {
		t.Fatalf("err = %v, want an interrupted statement", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %s", d)
	}
}
