// Package pgtest gives a test its own PostgreSQL schema on the server named by
// the environment, so that tests sharing the server can run in parallel.
//
// KPIREPORT_TEST_POSTGRES_DSN names the server. When it is not set, the tests
// that need it are skipped with a message that says how to run them, except
// under CI=true, where they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv is the environment variable that names the test server.
const PostgresEnv = "KPIREPORT_TEST_POSTGRES_DSN"

// need returns the value of the environment variable, or skips the test (fails
// it under CI=true) when it is not set.
func need(t testing.TB, env, example string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	msg := env + " is not set; to run this test against a real server: " + env + "=" + example +
		" go test ./... (.ci/run starts the services and sets it)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// PostgresDSN returns the test server's DSN as the environment gives it,
// without a schema of the test's own.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return need(t, PostgresEnv, "'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
}

// Postgres creates an empty schema for the test, dropped when it ends, and
// returns a DSN whose search_path selects it.
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	schema := "kpt_" + name(t, 40)
	exec(t, dsn, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec(t, dsn, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`) })
	return WithSearchPath(dsn, schema)
}

// WithSearchPath returns dsn, a URL or a key=value string, with its
// search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// name returns the test's name made safe for an identifier, cut to max
// characters, with a random suffix.
func name(t testing.TB, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > max {
		s = s[:max]
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return s + "_" + hex.EncodeToString(rnd[:])
}
