package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/voting"
)

// Tallies returns every ballot project's counted votes from the ledger alone
// (counted and flagged votes count), with zero for projects without votes.
// With completeBallot, only the votes of voters who voted in every category
// that has nominees count. Ordered by category, then project id.
func (s *Store) Tallies(ctx context.Context, edition string, completeBallot bool) ([]voting.Tally, error) {
	rows, err := s.pool.Query(ctx, `
		WITH ballot AS (
			SELECT id, category_code FROM projects
			WHERE edition_id = $1 AND status IN ('nominated', 'champion', 'winner')
		), counting AS (
			SELECT v.voter_id, v.project_id, v.category_code, v.cast_at FROM votes v
			WHERE v.edition_id = $1 AND v.status IN ('counted', 'flagged')
		), complete AS (
			SELECT voter_id FROM counting GROUP BY voter_id
			HAVING count(DISTINCT category_code) >= (SELECT count(DISTINCT category_code) FROM ballot)
		), counted AS (
			SELECT c.project_id, count(*) AS n,
				count(DISTINCT nullif(a.country, '')) AS countries, max(c.cast_at) AS last
			FROM counting c LEFT JOIN accounts a ON a.id = c.voter_id
			WHERE NOT $2 OR c.voter_id IN (SELECT voter_id FROM complete)
			GROUP BY c.project_id
		)
		SELECT b.id::text, b.category_code, coalesce(c.n, 0), coalesce(c.countries, 0), c.last
		FROM ballot b LEFT JOIN counted c ON c.project_id = b.id
		ORDER BY 2, 1`, edition, completeBallot)
	if err != nil {
		return nil, fmt.Errorf("tally %q: %w", edition, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.Tally, error) {
		var t voting.Tally
		var last *time.Time
		err := r.Scan(&t.ProjectID, &t.Category, &t.Votes, &t.VoterCountries, &last)
		if last != nil {
			t.FinalCountAt = last.UTC()
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tally %q: %w", edition, translate(err))
	}
	return out, nil
}

// EachVote calls fn with every vote of edition in ascending id order,
// whatever its status, streaming so that a million votes need no more memory
// than one. Client details are left out. It stops at fn's first error.
func (s *Store) EachVote(ctx context.Context, edition string, fn func(voting.Vote) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id::text, voter_id, project_id::text, category_code, slot, status, cast_at
		FROM votes WHERE edition_id = $1 ORDER BY id`, edition)
	if err != nil {
		return fmt.Errorf("read ledger of %q: %w", edition, translate(err))
	}
	var v voting.Vote
	var status string
	v.Edition = edition
	_, err = pgx.ForEachRow(rows, []any{&v.ID, &v.VoterID, &v.ProjectID, &v.Category, &v.Slot, &status, &v.CastAt}, func() error {
		v.Status = voting.Status(status)
		return fn(v)
	})
	if err != nil {
		return fmt.Errorf("read ledger of %q: %w", edition, translate(err))
	}
	return nil
}
