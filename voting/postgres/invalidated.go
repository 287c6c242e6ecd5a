package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/voting"
)

// Invalidations returns, for every project of edition with invalidated
// votes, how many it has and how many carry each reason code; a vote
// recorded without any reason counts under unspecified. Ordered by project
// id. The edition's invalidated votes are read once.
func (s *Store) Invalidations(ctx context.Context, edition, unspecified string) ([]voting.Invalidation, error) {
	rows, err := s.pool.Query(ctx, `
		WITH inv AS MATERIALIZED (
			SELECT project_id, reasons FROM votes WHERE edition_id = $1 AND status = 'invalidated'
		)
		SELECT project_id::text, NULL::text, count(*) FROM inv GROUP BY 1
		UNION ALL
		SELECT project_id::text, r, count(*)
		FROM inv, unnest(CASE WHEN cardinality(reasons) = 0 THEN ARRAY[$2::text] ELSE reasons END) AS r
		GROUP BY 1, 2
		ORDER BY 1, 2 NULLS FIRST`, edition, unspecified)
	if err != nil {
		return nil, fmt.Errorf("invalidations of %q: %w", edition, database.Translate(err))
	}
	var out []voting.Invalidation
	var project string
	var reason *string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&project, &reason, &n}, func() error {
		if reason == nil {
			out = append(out, voting.Invalidation{ProjectID: project, Votes: n, Reasons: map[string]int64{}})
			return nil
		}
		if len(out) == 0 || out[len(out)-1].ProjectID != project {
			return fmt.Errorf("reasons of project %s before its count", project)
		}
		out[len(out)-1].Reasons[*reason] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("invalidations of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}
