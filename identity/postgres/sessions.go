package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
)

// Open implements identity.Sessions.
func (s *Store) Open(ctx context.Context, t identity.RefreshToken, familyExpires time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO refresh_families (id, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			t.Family, t.Account, t.Issued, familyExpires); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)`,
			t.Hash, t.Family, t.Issued, earlier(t.Expires, familyExpires))
		return err
	})
	if err != nil {
		return wrap("open session", err)
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Rotate implements identity.Sessions. The old token's row is locked for
// the exchange, so of concurrent exchanges one rotates and the others find
// it used, which counts as reuse and revokes the family: a client that
// raced itself signs in again, and a thief racing the client gains nothing.
func (s *Store) Rotate(ctx context.Context, old []byte, next *identity.RefreshToken, now time.Time) error {
	const op = "rotate refresh token"
	var outcome error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var used, revoked *time.Time
		var expires, familyExpires time.Time
		err := tx.QueryRow(ctx, `SELECT t.family_id, f.account_id, f.created_at, t.used_at, t.expires_at, f.revoked_at, f.expires_at
			FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
			WHERE t.token_hash = $1 FOR UPDATE OF t, f`, old).
			Scan(&next.Family, &next.Account, &next.SignedIn, &used, &expires, &revoked, &familyExpires)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			outcome = identity.ErrInvalidRefresh
			return nil
		case err != nil:
			return err
		case revoked != nil || !now.Before(expires):
			outcome = identity.ErrInvalidRefresh
			return nil
		case used != nil:
			outcome = identity.ErrRefreshReused
			_, err := tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = $2, revoked_why = 'reuse' WHERE id = $1`, next.Family, now)
			return err
		}
		next.Expires = earlier(next.Expires, familyExpires)
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1`, old, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)`,
			next.Hash, next.Family, next.Issued, next.Expires)
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	if outcome != nil {
		return fmt.Errorf("%s: %w", op, outcome)
	}
	return nil
}

// Revoke implements identity.Sessions.
func (s *Store) Revoke(ctx context.Context, h []byte, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE refresh_families SET revoked_at = $2, revoked_why = 'signed out'
		WHERE id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, h, now)
	if err != nil {
		return wrap("revoke session", err)
	}
	return nil
}

// Purge deletes what is of no use any more: expired sign-in codes, session
// families that ended more than a day ago, and history older than keep. It
// returns how many rows went.
func (s *Store) Purge(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	var n int64
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM sign_in_codes WHERE expires_at < $1`, []any{now}},
		{`DELETE FROM refresh_families WHERE expires_at < $1 OR revoked_at < $1`, []any{now.Add(-24 * time.Hour)}},
		{`DELETE FROM account_events WHERE at < $1`, []any{now.Add(-keep)}},
	} {
		tag, err := s.pool.Exec(ctx, q.sql, q.args...)
		if err != nil {
			return n, wrap("purge identity data", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
