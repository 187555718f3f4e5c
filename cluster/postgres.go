package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jackc/pgx/v5"
)

// lockTimeout bounds a Lock: a server that does not answer must not hold up
// the job. unlockTimeout bounds an Unlock, which gocron calls with the job's
// context even when that has ended.
const (
	lockTimeout   = 10 * time.Second
	unlockTimeout = 10 * time.Second
)

// PostgresLocker is a gocron.Locker on PostgreSQL advisory locks:
// pg_try_advisory_lock(hashtext('kpireport.job'), hashtext(key)) on a connection
// of its own, held for the lock's lifetime. The first key keeps these locks apart
// from other advisory locks in the database, the ledger's among them. The server
// releases the lock when the connection ends, so a replica that dies holds it no
// longer than its connection lives. Advisory locks are per database.
type PostgresLocker struct {
	config *pgx.ConnConfig
	opts   options
}

var _ gocron.Locker = (*PostgresLocker)(nil)

// NewPostgresLocker returns a locker on the database of dsn and checks that
// it can connect. Errors never contain the DSN's password.
func NewPostgresLocker(ctx context.Context, dsn string, opts ...Option) (*PostgresLocker, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("cluster: postgres locker: %w", err)
	}
	l := &PostgresLocker{config: cfg, opts: o}
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: postgres locker: %w", err)
	}
	if err := conn.Close(ctx); err != nil {
		return nil, fmt.Errorf("cluster: postgres locker: %w", err)
	}
	return l, nil
}

func (l *PostgresLocker) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, l.config.Copy())
}

// Lock takes the advisory lock of key on a new connection, or returns an
// error wrapping ErrLocked if another session holds it.
func (l *PostgresLocker) Lock(ctx context.Context, key string) (gocron.Lock, error) {
	full := l.opts.prefix + key
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: lock %s: %w", full, err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('kpireport.job'), hashtext($1))`, full).Scan(&ok); err != nil {
		return nil, errors.Join(fmt.Errorf("cluster: lock %s: %w", full, err), closeConn(conn))
	}
	if !ok {
		return nil, errors.Join(fmt.Errorf("%w: %s", ErrLocked, full), closeConn(conn))
	}
	return &postgresLock{conn: conn, key: full}, nil
}

type postgresLock struct {
	conn *pgx.Conn
	key  string
}

// Unlock releases the advisory lock and closes its connection, which
// releases it too should the unlock itself fail.
func (p *postgresLock) Unlock(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	var released bool
	err := p.conn.QueryRow(ctx, `SELECT pg_advisory_unlock(hashtext('kpireport.job'), hashtext($1))`, p.key).Scan(&released)
	if err == nil && !released {
		err = ErrLockLost
	}
	if err := errors.Join(err, p.conn.Close(ctx)); err != nil {
		return fmt.Errorf("cluster: unlock %s: %w", p.key, err)
	}
	return nil
}

func closeConn(conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	return conn.Close(ctx)
}
