// Package postgres is the PostgreSQL adapter of the prize lifecycle: editions
// and their phases, entries and review, Champions, the jury, signed results
// and the audit log. Every change runs in one transaction that holds the
// edition's row lock and checks the edition's phase first, so a refused call
// changes nothing. Every organiser and juror action, and an owner's submit
// and withdraw, is appended to the audit log in that same transaction, so
// none of them is ever missing from the log; an owner's drafts and edits
// are not audited.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
	vpg "github.com/wsisvote/prizes/voting/postgres"
)

// Backlog reports the votes still in the vote log on their way to the
// ledger; *voting/redis.Store is one.
type Backlog interface {
	// Backlog returns how many votes were read but not yet acknowledged
	// and how many were not read yet. It returns kind.ErrUnavailable when
	// the log cannot be reached.
	Backlog(ctx context.Context) (pending, unread int64, err error)
}

// Options tune a Store. Every field may be left zero.
type Options struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// NewID returns a new project id, a UUID (version 7 when nil).
	NewID func() string
	// Backlog, when set, must be empty before counting closes, so that no
	// vote cast in time is left out of the Champion count (unless another
	// edition is voting; see closeCounting).
	Backlog Backlog
}

// Store is the PostgreSQL side of the prize lifecycle.
type Store struct {
	pool    *pgxpool.Pool
	ledger  *vpg.Store
	now     func() time.Time
	newID   func() string
	backlog Backlog
}

// New returns a store on pool. The votes ledger is read through the voting
// adapter on the same pool.
func New(pool *pgxpool.Pool, opts Options) *Store {
	s := &Store{pool: pool, ledger: vpg.New(pool), now: opts.Now, newID: opts.NewID, backlog: opts.Backlog}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	return s
}

// querier is what both a pool and a transaction offer.
type querier = database.Querier

// change is what a transaction did, for the audit log.
type change struct {
	subject string
	details any
}

// edit runs fn in a transaction that holds the edition's row lock, once the
// edition's phase allows action. The change fn returns, if any, is appended
// to the audit log in the same transaction.
func (s *Store) edit(ctx context.Context, actor prizes.Actor, edition string, action prizes.Action,
	fn func(tx pgx.Tx, ed prizes.Edition) (*change, error)) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ed, err := loadEdition(ctx, tx, edition, true)
		if err != nil {
			return err
		}
		if err := prizes.CheckPhase(ed.ID, ed.Phase, action); err != nil {
			return err
		}
		ch, err := fn(tx, ed)
		if err != nil || ch == nil {
			return err
		}
		return s.appendAudit(ctx, tx, ed.ID, actor, action, ch.subject, ch.details)
	})
	return database.Translate(err)
}

// read loads an edition without locking it and checks that its phase allows
// action, for the read paths that are phase-bound.
func (s *Store) read(ctx context.Context, edition string, action prizes.Action) (prizes.Edition, error) {
	ed, err := loadEdition(ctx, s.pool, edition, false)
	if err != nil {
		return prizes.Edition{}, database.Translate(err)
	}
	return ed, prizes.CheckPhase(ed.ID, ed.Phase, action)
}

// loadEdition reads an edition with its categories; lock takes its row lock
// for the rest of the transaction. The lock is FOR NO KEY UPDATE, which does
// not block the foreign key checks of rows that reference the edition.
func loadEdition(ctx context.Context, q querier, id string, lock bool) (prizes.Edition, error) {
	sql := `SELECT id, name, phase, rules, rules_hash, rules_frozen_at, schedule FROM editions WHERE id = $1`
	if lock {
		sql += ` FOR NO KEY UPDATE`
	}
	var ed prizes.Edition
	var phase string
	var rules, schedule []byte
	var frozen *time.Time
	err := q.QueryRow(ctx, sql, id).Scan(&ed.ID, &ed.Name, &phase, &rules, &ed.RulesHash, &frozen, &schedule)
	if errors.Is(err, pgx.ErrNoRows) {
		return prizes.Edition{}, fmt.Errorf("edition %q: %w", id, voting.ErrUnknownEdition)
	}
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("load edition %q: %w", id, err)
	}
	ed.Phase = voting.Phase(phase)
	if frozen != nil {
		ed.RulesFrozenAt = frozen.UTC()
	}
	if ed.Rules, err = prizes.ParseRules(rules); err != nil {
		return prizes.Edition{}, fmt.Errorf("load edition %q: %w", id, err)
	}
	if err := json.Unmarshal(schedule, &ed.Schedule); err != nil {
		return prizes.Edition{}, fmt.Errorf("load edition %q: schedule: %w", id, err)
	}
	rows, _ := q.Query(ctx, `SELECT code, name FROM categories WHERE edition_id = $1 ORDER BY position, code`, id)
	ed.Categories, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.Category, error) {
		var c voting.Category
		err := r.Scan(&c.Code, &c.Name)
		return c, err
	})
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("load categories of %q: %w", id, err)
	}
	return ed, nil
}

// projectUUID parses a project id from a request. A malformed one names no
// project, and is answered so.
func projectUUID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("project %q: %w", id, voting.ErrUnknownProject)
	}
	return u, nil
}

// Postgres error codes the adapter acts on.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func constraintOf(err error, code string) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == code {
		return pgErr.ConstraintName
	}
	return ""
}
