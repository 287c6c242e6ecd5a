package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/voting"
)

// Tallies returns every ballot project's counted votes from the ledger alone
// (counted and flagged votes cast inside the voting window count, as in
// Recount), with zero for projects without votes.
// With completeBallot, only the votes of voters who voted in every category
// that has nominees count. Ordered by category, then project id.
func (s *Store) Tallies(ctx context.Context, edition string, completeBallot bool) ([]voting.Tally, error) {
	// The votes are grouped by project and voter country first, a few
	// thousand groups kept in a hash table; the distinct countries per
	// project are then counted from those. Counting them straight from the
	// votes sorted every counting vote, on disk for a WSIS-sized ledger,
	// and took four times as long.
	var out []voting.Tally
	err := s.inWindowSnapshot(ctx, edition, func(tx pgx.Tx, b bounds) error {
		rows, _ := tx.Query(ctx, `
			WITH ballot AS (`+ballot+`
			), complete AS (
				SELECT v.voter_id FROM votes v
				WHERE v.edition_id = $1 AND v.status IN ('counted', 'flagged') AND `+inWindow+`
				GROUP BY v.voter_id
				HAVING count(DISTINCT category_code) >= (SELECT count(DISTINCT category_code) FROM ballot)
			), by_country AS (
				SELECT v.project_id, nullif(a.country, '') AS country, count(*) AS n, max(v.cast_at) AS last
				FROM votes v LEFT JOIN accounts a ON a.id = v.voter_id
				WHERE v.edition_id = $1 AND v.status IN ('counted', 'flagged') AND `+inWindow+`
					AND (NOT $4 OR v.voter_id IN (SELECT voter_id FROM complete))
				GROUP BY 1, 2
			), counted AS (
				SELECT project_id, sum(n)::bigint AS n, count(country) AS countries, max(last) AS last
				FROM by_country GROUP BY project_id
			)
			SELECT b.id::text, b.category_code, coalesce(c.n, 0), coalesce(c.countries, 0), c.last
			FROM ballot b LEFT JOIN counted c ON c.project_id = b.id
			ORDER BY 2, 1`, pgx.QueryExecModeDescribeExec, edition, b.opens, b.closes, completeBallot)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.Tally, error) {
			var t voting.Tally
			var last *time.Time
			err := r.Scan(&t.ProjectID, &t.Category, &t.Votes, &t.VoterCountries, &last)
			if last != nil {
				t.FinalCountAt = last.UTC()
			}
			return t, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tally %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// EachVote calls fn with every vote of edition in ascending id order,
// whatever its status, streaming so that a million votes need no more memory
// than a few thousand. Client details are left out. It stops at fn's first
// error.
//
// The rows are read and taken apart on a goroutine of their own, in batches,
// while fn runs on the caller's: for a digest of the whole ledger the two
// halves cost about the same, and overlapped they take a third less time.
func (s *Store) EachVote(ctx context.Context, edition string, fn func(voting.Vote) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const depth = 4
	batches := make(chan []voting.Vote, depth)
	free := make(chan []voting.Vote, depth+2)
	read := make(chan error, 1)
	go func() {
		read <- s.readVotes(ctx, edition, batches, free)
		close(batches)
	}()
	for b := range batches {
		for _, v := range b {
			if err := fn(v); err != nil {
				cancel()
				for range batches {
				}
				<-read
				return fmt.Errorf("read ledger of %q: %w", edition, err)
			}
		}
		select {
		case free <- b[:0]:
		default:
		}
	}
	if err := <-read; err != nil {
		return fmt.Errorf("read ledger of %q: %w", edition, database.Translate(err))
	}
	return nil
}

// voteBatch is how many votes readVotes hands over at a time.
const voteBatch = 1024

// readVotes sends the votes of edition to out in batches, in ascending id
// order, taking empty batches back from free.
//
// The rows come in PostgreSQL's binary format and are taken apart here: the
// generic scan allocated five strings per vote, and the strings other than
// the vote id repeat (projects, categories, statuses), so they are shared.
// Ordering by the column rather than by a text rendering of it lets the
// primary key give the order, with no sort.
func (s *Store) readVotes(ctx context.Context, edition string, out chan<- []voting.Vote, free chan []voting.Vote) error {
	rows, err := s.pool.Query(ctx, `SELECT id, voter_id, project_id, category_code, slot, status, cast_at
		FROM votes WHERE edition_id = $1 ORDER BY votes.id`, pgx.QueryResultFormats{pgx.BinaryFormatCode}, edition)
	if err != nil {
		return err
	}
	defer rows.Close()
	shared := map[string]string{}
	intern := func(b []byte) string {
		if s, ok := shared[string(b)]; ok {
			return s
		}
		s := string(b)
		shared[s] = s
		return s
	}
	projects := map[[16]byte]string{}
	send := func(b []voting.Vote) error {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	batch := make([]voting.Vote, 0, voteBatch)
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 7 || len(raw[0]) != 16 || len(raw[1]) != 8 || len(raw[2]) != 16 || len(raw[6]) != 8 {
			return errors.New("unexpected row layout")
		}
		p, ok := projects[[16]byte(raw[2])]
		if !ok {
			p = uuid.UUID(raw[2]).String()
			projects[[16]byte(raw[2])] = p
		}
		batch = append(batch, voting.Vote{
			ID:        uuid.UUID(raw[0]).String(),
			Edition:   edition,
			VoterID:   int64(binary.BigEndian.Uint64(raw[1])),
			ProjectID: p,
			Category:  intern(raw[3]),
			Slot:      intern(raw[4]),
			Status:    voting.Status(intern(raw[5])),
			CastAt:    time.UnixMicro(int64(binary.BigEndian.Uint64(raw[6])) + postgresEpoch).UTC(),
		})
		if len(batch) == voteBatch {
			if err := send(batch); err != nil {
				return err
			}
			select {
			case batch = <-free:
			default:
				batch = make([]voting.Vote, 0, voteBatch)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return send(batch)
	}
	return nil
}
