// Package postgres is the PostgreSQL adapter of the vote path: the votes
// ledger (the system of record), the catalogue loader, the tallies and the
// recount. It borrows the pool of internal/database, which owns it.
package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/voting"
)

// Store is the PostgreSQL side of voting.
type Store struct {
	pool *pgxpool.Pool
	// copyBuffers are the encoding buffers of ledger inserts.
	copyBuffers sync.Pool
	// log says whether Insert appends to the transparency log.
	log bool
}

var _ voting.Ledger = (*Store)(nil)

// New returns a store on pool. Its inserts append to the transparency log.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, log: true} }

// SetLog turns the transparency log of inserts on or off. With it off, votes
// get no leaf and the editions they belong to publish no log; it is there to
// measure what the log costs.
func (s *Store) SetLog(on bool) { s.log = on }

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", database.Translate(err))
	}
	return nil
}
