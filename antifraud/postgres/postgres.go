// Package postgres is the PostgreSQL adapter of fraud review: the export of
// the ledger with its account facts, the cases the analyser finds, and
// organisers' decisions on them, which change the status of votes in the
// ledger (never deleting one) and owe the live tally an adjustment.
//
// Every change goes through the prize lifecycle's store (prizes/postgres
// Store.Change): one transaction that holds the edition's row lock, checks
// the phase and appends to the edition's audit log before committing.
//
// A vote's status follows from the cases it belongs to: invalidated while
// any of them is invalidated (its reasons are then the recorded ones and the
// kinds of those cases), flagged while one of them is open, and otherwise
// the status and reasons it was recorded with, kept in votes.ingest_status
// and votes.ingest_reasons the first time review changes them. Only votes
// recorded as counted or flagged are reviewed; rejected ones stay rejected.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/database"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	vpg "github.com/wsisvote/prizes/voting/postgres"
)

// Options tune a Store. Every field may be left zero.
type Options struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Live, when set, is adjusted after each decision that moves a
	// project's count, so the live tally keeps agreeing with the ledger.
	Live antifraud.LiveTally
}

// Store is the PostgreSQL side of fraud review.
type Store struct {
	pool      *pgxpool.Pool
	lifecycle *ppg.Store
	ledger    *vpg.Store
	now       func() time.Time
	live      antifraud.LiveTally
}

// New returns a store on pool; changes go through lifecycle, which must be
// on the same database.
func New(pool *pgxpool.Pool, lifecycle *ppg.Store, o Options) *Store {
	s := &Store{pool: pool, lifecycle: lifecycle, ledger: vpg.New(pool), now: o.Now, live: o.Live}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// editionExists returns voting.ErrUnknownEdition for an edition that does
// not exist.
func (s *Store) editionExists(ctx context.Context, edition string) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM editions WHERE id = $1)`, edition).Scan(&ok); err != nil {
		return database.Translate(err)
	}
	if !ok {
		return fmt.Errorf("edition %q: %w", edition, voting.ErrUnknownEdition)
	}
	return nil
}
