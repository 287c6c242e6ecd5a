package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/voting"
)

// SaveActivity writes node's samples, each replacing the count that node
// saved earlier for the same edition and minute.
func (s *Store) SaveActivity(ctx context.Context, node string, samples []voting.ActivitySample) error {
	if len(samples) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, a := range samples {
		b.Queue(`INSERT INTO vote_activity (edition_id, minute, node, accepted, flagged, rejected, duplicate, refused,
				flushed, lag_sum_ms, lag_max_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (edition_id, minute, node) DO UPDATE SET accepted = EXCLUDED.accepted,
				flagged = EXCLUDED.flagged, rejected = EXCLUDED.rejected, duplicate = EXCLUDED.duplicate,
				refused = EXCLUDED.refused, flushed = EXCLUDED.flushed, lag_sum_ms = EXCLUDED.lag_sum_ms,
				lag_max_ms = EXCLUDED.lag_max_ms`,
			a.Edition, a.Minute, node, a.Accepted, a.Flagged, a.Rejected, a.Duplicate, a.Refused,
			a.Flushed, ms(a.LagSum), ms(a.LagMax))
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save activity: %w", database.Translate(err))
	}
	return nil
}

// Activity returns every node's samples of edition, and the flushers', from
// since on, added up by minute in time order (voting.ActivityTotal).
func (s *Store) Activity(ctx context.Context, edition string, since time.Time) ([]voting.ActivitySample, error) {
	rows, err := s.pool.Query(ctx, `SELECT edition_id, minute, sum(accepted), sum(flagged), sum(rejected), sum(duplicate),
			sum(refused), sum(flushed), sum(lag_sum_ms), max(lag_max_ms)
		FROM vote_activity WHERE edition_id IN ($1, '') AND minute >= $2
		GROUP BY edition_id, minute`, edition, since)
	if err != nil {
		return nil, fmt.Errorf("activity of %q: %w", edition, database.Translate(err))
	}
	var out []voting.ActivitySample
	for rows.Next() {
		var a voting.ActivitySample
		var lagSum, lagMax float64
		if err := rows.Scan(&a.Edition, &a.Minute, &a.Accepted, &a.Flagged, &a.Rejected, &a.Duplicate, &a.Refused,
			&a.Flushed, &lagSum, &lagMax); err != nil {
			rows.Close()
			return nil, fmt.Errorf("activity of %q: %w", edition, database.Translate(err))
		}
		a.LagSum, a.LagMax = fromMS(lagSum), fromMS(lagMax)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("activity of %q: %w", edition, database.Translate(err))
	}
	return voting.ActivityTotal(out), nil
}

// ActivityTotals returns an edition's counts over every minute on record.
func (s *Store) ActivityTotals(ctx context.Context, edition string) (voting.ActivityCounts, error) {
	var c voting.ActivityCounts
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(accepted), 0), coalesce(sum(flagged), 0), coalesce(sum(rejected), 0),
			coalesce(sum(duplicate), 0), coalesce(sum(refused), 0)
		FROM vote_activity WHERE edition_id = $1`, edition).Scan(&c.Accepted, &c.Flagged, &c.Rejected, &c.Duplicate, &c.Refused)
	if err != nil {
		return voting.ActivityCounts{}, fmt.Errorf("activity totals of %q: %w", edition, database.Translate(err))
	}
	return c, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMS(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
