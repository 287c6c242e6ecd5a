// Package postgres is the PostgreSQL adapter of identity: accounts and their
// grants and history, sign-in codes, refresh token families, shared secrets
// and the rotation of token signing keys.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/unavailable"
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

// translate maps driver errors onto the identity vocabulary where one fits:
// anything that means "the database could not be reached" becomes
// kind.ErrUnavailable, and the original stays in the chain.
func translate(err error) error {
	if unavailable.Postgres(err) {
		return fmt.Errorf("%w: %w", kind.ErrUnavailable, err)
	}
	return err
}

// wrap names the operation and translates err.
func wrap(op string, err error) error {
	return fmt.Errorf("%s: %w", op, translate(err))
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return wrap("ping postgres", err)
	}
	return nil
}
