package postgres

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/wsisvote/prizes/internal/database"
)

// analysisLockSpace is the first key of the advisory locks that keep two
// nodes from analysing the same edition at once.
const analysisLockSpace = 0x66726175 // "frau"

// WithAnalysisLock runs fn while holding the edition's analysis lock, a
// PostgreSQL session advisory lock, and returns true; when another node
// holds it, it returns false at once without running fn. The lock is held
// on one connection of the pool for as long as fn runs and released with
// it, so a node that dies releases it too.
func (s *Store) WithAnalysisLock(ctx context.Context, edition string, fn func(context.Context) error) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("analysis lock of %s: %w", edition, database.Translate(err))
	}
	defer conn.Release()
	h := fnv.New32a()
	h.Write([]byte(edition))
	key := int32(h.Sum32())
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(analysisLockSpace), key).Scan(&got); err != nil {
		return false, fmt.Errorf("analysis lock of %s: %w", edition, database.Translate(err))
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A connection whose unlock failed is closed rather than returned
		// to the pool still holding the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, int32(analysisLockSpace), key); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return true, fn(ctx)
}
