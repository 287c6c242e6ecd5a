package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Voter is a voter account as operator tooling sees it.
type Voter struct {
	ID        int64
	CreatedAt time.Time
}

// CreateVoters creates n verified voter accounts in one statement and returns
// them in id order. It is operator tooling for rehearsals and load tests.
func (s *Store) CreateVoters(ctx context.Context, n int) ([]Voter, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO accounts (display_name, created_at, verified_at)
		SELECT '', now(), now() FROM generate_series(1, $1)
		RETURNING id, created_at`, n)
	if err != nil {
		return nil, fmt.Errorf("create %d voters: %w", n, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Voter, error) {
		var v Voter
		err := r.Scan(&v.ID, &v.CreatedAt)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("create %d voters: %w", n, translate(err))
	}
	return out, nil
}
