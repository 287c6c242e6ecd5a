// Package database owns the service's PostgreSQL database: the one
// connection pool that every PostgreSQL adapter (voting/postgres,
// prizes/postgres, identity/postgres, antifraud/postgres) borrows, the
// schema's migrations, and the one translation of driver errors into the
// project's kinds.
package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/deploy/migrations"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/unavailable"
)

// minConns is the least size of the pool: the flusher, the catalogue's
// listener, the API's reads and the scheduled work each hold connections at
// once.
const minConns = 16

// Querier is what both a pool and a transaction offer, for the statements
// that run in either.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// DB is the PostgreSQL database of a process. Open it once, hand Pool to the
// adapters, and Close it when the process ends.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (a PostgreSQL URL or key=value
// string); the pool has at least minConns connections unless the URL asks
// for more.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.MaxConns = max(cfg.MaxConns, minConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{pool: pool}, nil
}

// New returns a DB on a pool opened elsewhere, such as a test's; Close
// closes it.
func New(pool *pgxpool.Pool) *DB { return &DB{pool: pool} }

// Pool is the connection pool the adapters borrow.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Migrate applies the schema's migrations the database has not seen yet and
// returns their names.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	return migrations.Apply(ctx, db.pool)
}

// Ping checks that PostgreSQL answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", Translate(err))
	}
	return nil
}

// Close closes the pool, waiting for borrowed connections to come back.
func (db *DB) Close() { db.pool.Close() }

// Translate maps a driver error onto the project's kinds where one fits:
// anything that means the database could not be reached becomes
// kind.ErrUnavailable, with the original kept in the chain. Every other
// error is returned as it is, an internal error. Adapters call it once, at
// their boundary.
func Translate(err error) error {
	if unavailable.Postgres(err) {
		return fmt.Errorf("%w: %w", kind.ErrUnavailable, err)
	}
	return err
}
