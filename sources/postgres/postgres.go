// Package postgres reads the canonical tables from a PostgreSQL database and lets the
// database compute the measures: one GROUP BY statement per table over the plan's
// intervals, in one read-only REPEATABLE READ transaction with a statement timeout
// (see package sqlagg). The connection string comes from an environment variable,
// never from the config file, and never appears in an error.
package postgres

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/sqlagg"
)

func init() {
	sources.Register("postgres", func(opt sources.Options) (sources.Source, error) { return Open(opt) })
}

// DSNEnv is the environment variable read for the connection string when
// sources.Options.DSN is empty (source.dsn_env fills DSN from the variable it names).
var DSNEnv = "KPIREPORT_POSTGRES_DSN"

// StatementTimeout limits each statement (statement_timeout). Default:
// sqlagg.DefaultStatementTimeout; negative: no limit.
var StatementTimeout = sqlagg.DefaultStatementTimeout

// Open returns the source of the database whose connection string is opt.DSN, or
// else the environment variable DSNEnv. It does not connect yet.
func Open(opt sources.Options) (*sqlagg.Source, error) {
	dsn := cmp.Or(opt.DSN, os.Getenv(DSNEnv))
	if dsn == "" {
		return nil, fmt.Errorf("%w: postgres: the environment variable %s is not set (it holds the connection string)", sources.ErrOptions, DSNEnv)
	}
	return OpenDSN(opt, dsn)
}

// OpenDSN returns the source of the database at dsn. It does not connect yet.
func OpenDSN(opt sources.Options, dsn string) (*sqlagg.Source, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, sqlagg.Redact(fmt.Errorf("%w: postgres: connection string: %w", sources.ErrOptions, err), dsn)
	}
	return sqlagg.New(sqlagg.Config{
		Dialect:          Dialect{},
		DB:               stdlib.OpenDB(*cfg),
		Options:          opt,
		StatementTimeout: cmp.Or(opt.StatementTimeout, StatementTimeout),
		Secrets:          secrets(dsn, cfg.Password),
	})
}

// secrets returns what errors must not show: the DSN and a password long enough not to
// be an ordinary word of a message.
func secrets(dsn, password string) []string {
	s := []string{dsn}
	if len(password) >= 4 {
		s = append(s, password)
	}
	return s
}

// Explain returns the statements that a load of plan runs, as SQL that psql runs as it
// is. It connects to read the tables' columns, which decide the statements.
func Explain(ctx context.Context, opt sources.Options, plan *kpi.Plan) (_ []string, err error) {
	s, err := Open(opt)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return s.Explain(ctx, plan)
}

// literal returns v as an SQL literal.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case time.Time:
		return "'" + v.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
	}
	return fmt.Sprint(v)
}
