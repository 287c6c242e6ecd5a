package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

// secretsLock serialises secret rotation across nodes.
const secretsLock = 7_201_330_003

// Secrets implements identity.Secrets. Rotation runs under an advisory lock,
// so nodes that start or refresh together create one secret between them.
func (s *Store) Secrets(ctx context.Context, purpose string, now time.Time, rotate, keep time.Duration) ([]identity.Secret, error) {
	op := "load " + purpose + " secrets"
	var out []identity.Secret
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, secretsLock); err != nil {
			return err
		}
		read := func() error {
			rows, _ := tx.Query(ctx, `SELECT id, secret, created_at FROM identity_secrets
				WHERE purpose = $1 ORDER BY created_at DESC, id DESC`, purpose)
			var err error
			out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.Secret, error) {
				var sec identity.Secret
				return sec, r.Scan(&sec.ID, &sec.Key, &sec.CreatedAt)
			})
			return err
		}
		if err := read(); err != nil {
			return err
		}
		if len(out) == 0 || rotate > 0 && now.Sub(out[0].CreatedAt) >= rotate {
			key := make([]byte, 32)
			id := make([]byte, 6)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			if _, err := rand.Read(id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO identity_secrets (purpose, id, secret, created_at) VALUES ($1, $2, $3, $4)`,
				purpose, hex.EncodeToString(id), key, now); err != nil {
				return err
			}
			out = append([]identity.Secret{{ID: hex.EncodeToString(id), Key: key, CreatedAt: now}}, out...)
		}
		if keep <= 0 {
			return nil
		}
		// A secret is replaced when a newer one is created; it goes once it
		// has been replaced for longer than keep.
		for i := 1; i < len(out); i++ {
			if now.Sub(out[i-1].CreatedAt) > keep {
				if _, err := tx.Exec(ctx, `DELETE FROM identity_secrets WHERE purpose = $1 AND created_at <= $2`,
					purpose, out[i].CreatedAt); err != nil {
					return err
				}
				out = out[:i]
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: none: %w", op, kind.ErrUnavailable)
	}
	return out, nil
}
