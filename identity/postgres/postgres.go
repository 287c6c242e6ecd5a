// Package postgres is the PostgreSQL adapter of identity: accounts and their
// grants and history, sign-in codes, refresh token families, shared secrets,
// the rotation of token signing keys, and the accounts rehearsals and
// organiser setup create directly.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/database"
)

// Store is the PostgreSQL side of identity.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ identity.Accounts = (*Store)(nil)
	_ identity.Codes    = (*Store)(nil)
	_ identity.Sessions = (*Store)(nil)
	_ identity.Secrets  = (*Store)(nil)
)

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// wrap names the operation and translates err.
func wrap(op string, err error) error {
	return fmt.Errorf("%s: %w", op, database.Translate(err))
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return wrap("ping postgres", err)
	}
	return nil
}
