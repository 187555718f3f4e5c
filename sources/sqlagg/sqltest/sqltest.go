// Package sqltest sets up real databases for the integration tests of the SQL sources:
// a fresh PostgreSQL schema or MySQL database per test, dropped when the test ends (so
// tests of several packages can run at the same time), and tables loaded from CSV
// files in the data contract's spellings, converted for the type of each column.
//
// The servers come from environment variables. When one is not set the test is
// skipped with a message that says how to run it, except under CI=true, where it fails:
// CI must not skip them.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kpireport/kpireport/period"
)

// The environment variables that hold the test servers' connection strings.
const (
	PostgresEnv = "KPIREPORT_TEST_POSTGRES_DSN"
	MySQLEnv    = "KPIREPORT_TEST_MYSQL_DSN"
)

// The flavors of DB.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
)

var examples = map[string]string{
	PostgresEnv: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
	MySQLEnv:    "root@tcp(127.0.0.1:3306)/test",
}

// DSN returns the connection string in env. When it is not set, it skips the test,
// or fails it when the environment variable CI is true.
func DSN(t testing.TB, env string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn != "" {
		return dsn
	}
	msg := fmt.Sprintf("%s is not set; to run this test against a server: export %s='%s'", env, env, examples[env])
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: integration tests must not be skipped)")
	}
	t.Skip(msg)
	return ""
}

// DB is a schema (PostgreSQL) or database (MySQL) of its own for one test.
type DB struct {
	Flavor string  // Postgres or MySQL
	Name   string  // of the schema or database
	DSN    string  // connects to it: tables without a schema are found there
	SQL    *sql.DB // connected with DSN
}

func uniqueName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kpitest_" + hex.EncodeToString(b)
}

// NewPostgres creates a schema on the server in KPIREPORT_TEST_POSTGRES_DSN and
// returns it; its DSN sets search_path to it. It is dropped when the test ends.
func NewPostgres(t testing.TB) *DB {
	t.Helper()
	base := DSN(t, PostgresEnv)
	name := uniqueName()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	var dsn string
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse %s: %v", PostgresEnv, err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		dsn = base + " search_path=" + name
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &DB{Flavor: Postgres, Name: name, DSN: dsn, SQL: db}
}

// NewMySQL creates a database on the server in KPIREPORT_TEST_MYSQL_DSN and returns
// it; its DSN selects it. It is dropped when the test ends.
func NewMySQL(t testing.TB) *DB {
	t.Helper()
	base := DSN(t, MySQLEnv)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("parse %s: %v", MySQLEnv, err)
	}
	name := uniqueName()
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &DB{Flavor: MySQL, Name: name, DSN: dsn, SQL: db}
}

// Exec runs statements, failing the test on an error.
func (db *DB) Exec(t testing.TB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := db.SQL.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// LoadCSV creates table name with the columns of the CSV file at path, in its order,
// of the SQL types in types (default text), and copies its rows. Empty cells are NULL.
// Date values are converted as the data contract reads them in loc: a date column gets
// the local day, a local timestamp column (PostgreSQL TIMESTAMP, MySQL DATETIME) the
// local wall-clock time, an instant column (TIMESTAMPTZ, MySQL TIMESTAMP) the instant.
// Bool columns get true/false (1/0). primaryKey, when set, becomes the primary key.
func (db *DB) LoadCSV(t testing.TB, path, name string, types map[string]string, primaryKey string, loc *time.Location) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	conv := make([]func(string) (any, error), len(header))
	defs := make([]string, len(header))
	for i, h := range header {
		typ := types[h]
		if typ == "" {
			typ = "TEXT"
			if db.Flavor == MySQL {
				typ = "VARCHAR(255)"
			}
		}
		defs[i] = db.quote(h) + " " + typ
		conv[i] = db.converter(typ, loc)
	}
	if primaryKey != "" {
		defs = append(defs, "PRIMARY KEY ("+db.quote(primaryKey)+")")
	}
	db.Exec(t, "CREATE TABLE "+db.quote(name)+" (\n  "+strings.Join(defs, ",\n  ")+"\n)")
	var rows [][]any
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		row := make([]any, len(rec))
		for i, v := range rec {
			if row[i], err = conv[i](v); err != nil {
				t.Fatalf("%s line %d column %s: %v", path, line, header[i], err)
			}
		}
		rows = append(rows, row)
	}
	if err := db.insert(name, header, rows); err != nil {
		t.Fatalf("load %s into %s: %v", path, name, err)
	}
}

func (db *DB) quote(ident string) string {
	if db.Flavor == MySQL {
		return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// converter returns the conversion of a CSV cell for a column of SQL type typ.
func (db *DB) converter(typ string, loc *time.Location) func(string) (any, error) {
	upper := strings.ToUpper(typ)
	days := period.NewDayParser(loc)
	null := func(f func(string) (any, error)) func(string) (any, error) {
		return func(s string) (any, error) {
			if s == "" {
				return nil, nil
			}
			return f(s)
		}
	}
	switch {
	case upper == "DATE":
		return null(func(s string) (any, error) {
			d, err := days.ParseString(s)
			return d.String(), err
		})
	case strings.HasPrefix(upper, "TIMESTAMPTZ") || strings.Contains(upper, "WITH TIME ZONE") ||
		db.Flavor == MySQL && strings.HasPrefix(upper, "TIMESTAMP"):
		return null(func(s string) (any, error) {
			at, err := Instant(s, loc)
			if db.Flavor == Postgres {
				return at.UTC().Format("2006-01-02 15:04:05.999999") + "+00", err
			}
			return at.UTC().Format("2006-01-02 15:04:05.999999"), err
		})
	case strings.HasPrefix(upper, "TIMESTAMP") || strings.HasPrefix(upper, "DATETIME"):
		return null(func(s string) (any, error) {
			at, err := Instant(s, loc)
			return at.In(loc).Format("2006-01-02 15:04:05.999999"), err
		})
	case upper == "BOOLEAN" || upper == "BOOL" || strings.HasPrefix(upper, "TINYINT"):
		return null(func(s string) (any, error) {
			switch strings.ToLower(s) {
			case "true", "1", "yes":
				return map[bool]string{true: "true", false: "1"}[db.Flavor == Postgres], nil
			case "false", "0", "no":
				return map[bool]string{true: "false", false: "0"}[db.Flavor == Postgres], nil
			}
			return nil, fmt.Errorf("%q is not a bool", s)
		})
	}
	return null(func(s string) (any, error) { return s, nil })
}

// Instant returns the instant of a date or timestamp in the data contract's spellings:
// a date is its local midnight in loc, a timestamp without offset is local time.
func Instant(s string, loc *time.Location) (time.Time, error) {
	s = strings.Replace(s, "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or timestamp", s)
}

// insert copies rows into table name: COPY for PostgreSQL, INSERTs of many rows for
// MySQL (in UTC, so that TIMESTAMP values are instants).
func (db *DB) insert(name string, cols []string, rows [][]any) error {
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = db.quote(c)
	}
	if db.Flavor == Postgres {
		pr, pw := io.Pipe()
		go func() {
			w := csv.NewWriter(pw)
			rec := make([]string, len(cols))
			for _, row := range rows {
				for i, v := range row {
					rec[i] = ""
					if v != nil {
						rec[i] = fmt.Sprint(v)
					}
				}
				if err := w.Write(rec); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			w.Flush()
			pw.CloseWithError(w.Error())
		}()
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn().PgConn()
			_, err := pc.CopyFrom(ctx, pr, "COPY "+db.quote(name)+" ("+strings.Join(quoted, ", ")+") FROM STDIN WITH (FORMAT csv)")
			return err
		})
	}
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		return err
	}
	const batch = 500
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		var args []any
		for _, row := range rows[start:end] {
			args = append(args, row...)
		}
		q := "INSERT INTO " + db.quote(name) + " (" + strings.Join(quoted, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+", ", end-start), ", ")
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
