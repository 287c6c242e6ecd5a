package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// Insert writes votes into the ledger, and appends them to their editions'
// transparency logs unless the log is off (see SetLog and insertLogged).
// Without the log, the common case, a batch none of whose
// votes is in the ledger yet, is one COPY straight into votes, run outside a
// transaction block: a COPY is then a transaction of its own, all rows or
// none, and costs no BEGIN and COMMIT round trips. When any row conflicts (a
// batch replayed after a crash between commit and acknowledge, or a second
// vote in a filled slot), the batch goes again through a staging table and
// one INSERT ... SELECT that skips every row whose id, or whose (edition,
// voter, slot), is already there. Replaying a batch therefore changes
// nothing.
func (s *Store) Insert(ctx context.Context, votes []voting.Vote) (int, error) {
	if len(votes) == 0 {
		return 0, nil
	}
	if s.log {
		return s.insertLogged(ctx, votes)
	}
	buf := s.copyBuffer()
	defer s.releaseCopyBuffer(buf)
	var err error
	if buf.b, err = appendCopy(buf.b[:0], votes, nil); err != nil {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), database.Translate(err))
	}
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf.b), copyInto("votes", false))
	conn.Release()
	if err == nil {
		return int(tag.RowsAffected()), nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		return 0, fmt.Errorf("ledger insert %d votes: copy: %w", len(votes), translateRow(err))
	}
	var inserted int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS votes_staging
			(LIKE votes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return fmt.Errorf("create staging: %w", err)
		}
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf.b), copyInto("votes_staging", false)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot,
				status, reasons, cast_at, client_net, user_agent, device_hint, account_age_s)
			SELECT id, edition_id, voter_id, project_id, category_code, slot,
				status, reasons, cast_at, client_net, user_agent, device_hint, account_age_s
			FROM votes_staging ON CONFLICT DO NOTHING`)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		inserted = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), translateRow(err))
	}
	return int(inserted), nil
}

// translateRow is translate for writes of ledger rows: a row PostgreSQL
// refuses for its content (a data exception such as a malformed value, a
// failed CHECK such as an unknown status, a missing value) will be refused
// however often it is sent, so it is reported as kind.ErrInvalid, which
// tells the flusher to set the vote aside rather than retry it.
func translateRow(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || pgErr.Code == checkViolation || pgErr.Code == notNullViolation) {
		return fmt.Errorf("%w: %w", kind.ErrInvalid, err)
	}
	return database.Translate(err)
}

// PostgreSQL's SQLSTATEs for a row refused by a CHECK constraint and for a
// missing value in a NOT NULL column.
const (
	checkViolation   = "23514"
	notNullViolation = "23502"
)

// uniqueViolation is PostgreSQL's SQLSTATE for a unique constraint refusing a
// row.
const uniqueViolation = "23505"

// copyBuffer holds one encoded batch. Buffers are reused because a batch of
// a few thousand votes takes a few hundred kilobytes, every batch.
type copyBuffer struct{ b []byte }

// maxPooledCopyBuffer bounds the buffers kept for reuse, so that one huge
// batch does not pin its memory for good.
const maxPooledCopyBuffer = 16 << 20

func (s *Store) copyBuffer() *copyBuffer {
	if b, ok := s.copyBuffers.Get().(*copyBuffer); ok {
		return b
	}
	return &copyBuffer{}
}

func (s *Store) releaseCopyBuffer(b *copyBuffer) {
	if cap(b.b) <= maxPooledCopyBuffer {
		s.copyBuffers.Put(b)
	}
}

// inWindow is the SQL condition that a vote v was cast inside its edition's
// published voting window, [$2, $3): the bounds read by inWindowSnapshot,
// passed as parameters so that the planner sees them. Read inside the
// statement, as subqueries, they left it to guess how many votes qualify
// (2,063 a worker where there were 330,016, docs/ledger-scale.md), and its
// plans sorted the votes where a hash table of the edition's projects would do.
const inWindow = `v.cast_at >= $2 AND v.cast_at < $3`

// bounds are an edition's voting window as inWindow's parameters:
// -infinity and infinity for a bound its schedule leaves open.
type bounds struct{ opens, closes pgtype.Timestamptz }

// window is b as a voting.Window, an open bound as the zero time.
func (b bounds) window() voting.Window {
	var w voting.Window
	if b.opens.InfinityModifier == pgtype.Finite {
		w.Opens = b.opens.Time
	}
	if b.closes.InfinityModifier == pgtype.Finite {
		w.Closes = b.closes.Time
	}
	return w
}

// inWindowSnapshot runs fn in a read-only snapshot of the database, with
// edition's voting window read in that snapshot, to be passed to the
// statements that use inWindow: the window and the votes are read at the
// same instant, as when the bounds were subqueries.
//
// Statements with the bounds go as unnamed statements
// (pgx.QueryExecModeDescribeExec), planned for the values they are given each
// time: a cached statement would after a few runs switch to a generic plan,
// which guesses the bounds again.
func (s *Store) inWindowSnapshot(ctx context.Context, edition string, fn func(tx pgx.Tx, b bounds) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var b bounds
		err := tx.QueryRow(ctx, `SELECT
				coalesce((SELECT (schedule->'voting'->>'start')::timestamptz FROM editions WHERE id = $1), '-infinity'),
				coalesce((SELECT (schedule->'voting'->>'end')::timestamptz FROM editions WHERE id = $1), 'infinity')`,
			edition).Scan(&b.opens, &b.closes)
		if err != nil {
			return err
		}
		return fn(tx, b)
	})
}

// ballot is the SQL subquery of edition $1's projects on the ballot.
const ballot = `SELECT id, category_code FROM projects
	WHERE edition_id = $1 AND status IN ('nominated', 'champion', 'winner')`

// Recount computes every ballot project's counted votes from the ledger alone:
// counted and flagged votes count, rejected and invalidated ones do not, and
// neither do votes cast outside the edition's voting window or for a project
// no longer on the ballot (see Excluded). Projects on the ballot with no
// votes are listed with zero.
func (s *Store) Recount(ctx context.Context, edition string) ([]voting.ProjectCount, error) {
	var out []voting.ProjectCount
	err := s.inWindowSnapshot(ctx, edition, func(tx pgx.Tx, b bounds) error {
		var err error
		out, err = projectCounts(ctx, tx, `
		WITH counted AS (
			SELECT v.project_id, count(*) AS n FROM votes v
			WHERE v.edition_id = $1 AND v.status IN ('counted', 'flagged') AND `+inWindow+`
			GROUP BY v.project_id
		)
		SELECT b.id::text, b.category_code, coalesce(c.n, 0)
		FROM (`+ballot+`) b LEFT JOIN counted c ON c.project_id = b.id
		ORDER BY 2, 1`, pgx.QueryExecModeDescribeExec, edition, b.opens, b.closes)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recount %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// LiveCounts computes what the live tally should hold for an edition: every
// vote whose status counts, per project, whether or not it is inside the
// voting window or its project still on the ballot.
func (s *Store) LiveCounts(ctx context.Context, edition string) ([]voting.ProjectCount, error) {
	out, err := projectCounts(ctx, s.pool, `
		SELECT project_id::text, category_code, count(*) FROM votes
		WHERE edition_id = $1 AND status IN ('counted', 'flagged')
		GROUP BY 1, 2 ORDER BY 2, 1`, edition)
	if err != nil {
		return nil, fmt.Errorf("count live votes of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// projectCounts runs a query whose rows are a project id, its category and
// a count.
func projectCounts(ctx context.Context, q database.Querier, query string, args ...any) ([]voting.ProjectCount, error) {
	rows, _ := q.Query(ctx, query, args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.ProjectCount, error) {
		var pc voting.ProjectCount
		err := r.Scan(&pc.ProjectID, &pc.Category, &pc.Votes)
		return pc, err
	})
}

// Excluded is what a recount leaves out of an edition's counted votes, besides
// the votes fraud review or ingest took out.
type Excluded struct {
	// Window is the voting window the votes were counted in.
	Window voting.Window
	// OutsideWindow counts the votes whose status counts but that were cast
	// outside Window. The hot store refuses such votes, so any here were
	// cast before the window changed or by a node that had not yet seen the
	// change.
	OutsideWindow int64
	// OffBallot counts the votes whose status counts, cast inside Window,
	// for projects no longer on the ballot.
	OffBallot int64
}

// Excluded reports the votes a recount of edition leaves out, and why.
func (s *Store) Excluded(ctx context.Context, edition string) (Excluded, error) {
	var x Excluded
	err := s.inWindowSnapshot(ctx, edition, func(tx pgx.Tx, b bounds) error {
		x.Window = b.window()
		return tx.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE NOT (`+inWindow+`)),
				count(*) FILTER (WHERE `+inWindow+` AND v.project_id NOT IN (SELECT id FROM (`+ballot+`) b))
			FROM votes v WHERE v.edition_id = $1 AND v.status IN ('counted', 'flagged')`,
			pgx.QueryExecModeDescribeExec, edition, b.opens, b.closes).
			Scan(&x.OutsideWindow, &x.OffBallot)
	})
	if err != nil {
		return x, fmt.Errorf("find votes left out of %q: %w", edition, database.Translate(err))
	}
	return x, nil
}

// LedgerVotes returns how many votes of an edition the ledger holds, whatever
// their status.
func (s *Store) LedgerVotes(ctx context.Context, edition string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM votes WHERE edition_id = $1`, edition).Scan(&n); err != nil {
		return 0, fmt.Errorf("count ledger votes of %q: %w", edition, database.Translate(err))
	}
	return n, nil
}

var _ voting.Recorded = (*Store)(nil)

// RecordedVote returns the vote a voter has in a ballot slot, found by the
// ledger's unique (edition, voter, slot) key, and false when the ledger
// holds none. Only the receipt's fields are read: id, project, category.
func (s *Store) RecordedVote(ctx context.Context, edition string, voter int64, slot string) (voting.Vote, bool, error) {
	v := voting.Vote{Edition: edition, VoterID: voter, Slot: slot}
	err := s.pool.QueryRow(ctx, `SELECT id::text, project_id::text, category_code FROM votes
		WHERE edition_id = $1 AND voter_id = $2 AND slot = $3`, edition, voter, slot).
		Scan(&v.ID, &v.ProjectID, &v.Category)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return voting.Vote{}, false, nil
	case err != nil:
		return voting.Vote{}, false, fmt.Errorf("find vote of voter %d in %s/%s: %w", voter, edition, slot, database.Translate(err))
	}
	return v, true, nil
}
