package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/postgres"
	"github.com/kpireport/kpireport/sources/sqlagg/sqltest"
)

var october = kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10})

// company creates a small valid company in a fresh schema.
func company(t *testing.T) *sqltest.DB {
	t.Helper()
	db := sqltest.NewPostgres(t)
	db.Exec(t,
		"CREATE TABLE orders (order_id TEXT PRIMARY KEY, customer_id TEXT, order_date TIMESTAMPTZ, amount NUMERIC(18,4))",
		"INSERT INTO orders VALUES ('O1', 'C1', '2026-10-01 00:30:00+02', 10), ('O2', 'C1', '2026-09-30 23:30:00+02', 5)",
		"CREATE TABLE customers (customer_id TEXT PRIMARY KEY, acquired_date DATE)",
		"INSERT INTO customers VALUES ('C1', '2026-01-01')")
	return db
}

var amsterdam, _ = time.LoadLocation("Europe/Amsterdam")

func load(t *testing.T, src sources.Source) (*kpi.Data, error) {
	t.Helper()
	defer src.Close()
	return src.Load(context.Background(), october)
}

func TestOpenFromEnvironment(t *testing.T) {
	db := company(t)
	const env = "KPIREPORT_TEST_DSN_FOR_OPEN"
	defer func(old string) { postgres.DSNEnv = old }(postgres.DSNEnv)
	postgres.DSNEnv = env

	t.Setenv(env, "")
	_, err := sources.Open(sources.Options{Type: "postgres"})
	if !errors.Is(err, sources.ErrOptions) || !strings.Contains(err.Error(), env) {
		t.Fatalf("without %s: err = %v, want ErrOptions naming the variable", env, err)
	}

	t.Setenv(env, db.DSN)
	src, err := sources.Open(sources.Options{Type: "postgres", Location: amsterdam})
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
	db.Exec(t, "DROP TABLE customers")
	withPassword := strings.Replace(db.DSN, "postgres://postgres@", "postgres://postgres:"+password+"@", 1)
	if withPassword == db.DSN {
		t.Skip("the test DSN is not a postgres://postgres@ URL")
	}
	tests := []struct{ name, dsn string }{
		{"closed port", "postgres://kpi:" + password + "@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"},
		{"key=value form", "host=127.0.0.1 port=1 user=kpi password=" + password + " dbname=test sslmode=disable connect_timeout=2"},
		{"bad port", "postgres://kpi:" + password + "@127.0.0.1:notaport/test"},
		{"server error after connecting (trust authentication ignores the password)", withPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := postgres.OpenDSN(sources.Options{Type: "postgres"}, tt.dsn)
			if err == nil {
				_, err = load(t, src)
			}
			if err == nil {
				t.Fatal("no error")
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
	defer func(old time.Duration) { postgres.StatementTimeout = old }(postgres.StatementTimeout)
	postgres.StatementTimeout = time.Minute
	check := `SELECT * FROM orders
WHERE current_setting('transaction_read_only') = 'on'
  AND current_setting('transaction_isolation') = 'repeatable read'
  AND current_setting('statement_timeout') = '1min'`
	src, err := postgres.OpenDSN(sources.Options{Type: "postgres", Location: amsterdam,
		Tables: map[string]sources.Table{"orders": {Query: check}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	data, err := load(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Windows[october.Period.Range()].Revenue.String(); got != "10" {
		t.Errorf("revenue %s: the statements did not run read-only, repeatable read, with the timeout", got)
	}

	db.Exec(t, "CREATE SEQUENCE counter")
	write := "SELECT * FROM orders WHERE nextval('counter') > 0"
	src, err = postgres.OpenDSN(sources.Options{Type: "postgres", Tables: map[string]sources.Table{"orders": {Query: write}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, src); err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("a query that writes: err = %v, want a read-only transaction error", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	db := company(t)
	defer func(old time.Duration) { postgres.StatementTimeout = old }(postgres.StatementTimeout)
	postgres.StatementTimeout = 100 * time.Millisecond
	slow := "SELECT o.* FROM orders AS o, pg_sleep(2) AS s"
	src, err := postgres.OpenDSN(sources.Options{Type: "postgres", Tables: map[string]sources.Table{"orders": {Query: slow}}}, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = load(t, src)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("err = %v, want a statement timeout", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %s", d)
	}
}
