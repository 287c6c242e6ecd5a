package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
)

// PutCode implements identity.Codes.
func (s *Store) PutCode(ctx context.Context, emailHash, codeHash []byte, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sign_in_codes (email_hash, code_hash, attempts, expires_at)
		VALUES ($1, $2, 0, $3)
		ON CONFLICT (email_hash) DO UPDATE SET code_hash = EXCLUDED.code_hash, attempts = 0, expires_at = EXCLUDED.expires_at`,
		emailHash, codeHash, expires)
	if err != nil {
		return wrap("store sign-in code", err)
	}
	return nil
}

// TakeCode implements identity.Codes. The attempt is counted by a single
// UPDATE before the comparison, so concurrent guesses cannot exceed the
// limit, and the code is consumed by a DELETE that names its hash, so of
// concurrent right answers only one succeeds.
func (s *Store) TakeCode(ctx context.Context, emailHash, codeHash []byte, now time.Time, maxAttempts int) error {
	const op = "take sign-in code"
	var stored []byte
	err := s.pool.QueryRow(ctx, `UPDATE sign_in_codes SET attempts = attempts + 1
		WHERE email_hash = $1 AND expires_at > $2 AND attempts < $3
		RETURNING code_hash`, emailHash, now, maxAttempts).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return errInvalidCode(op)
	}
	if err != nil {
		return wrap(op, err)
	}
	if subtle.ConstantTimeCompare(stored, codeHash) != 1 {
		return errInvalidCode(op)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sign_in_codes WHERE email_hash = $1 AND code_hash = $2`, emailHash, codeHash)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() != 1 {
		return errInvalidCode(op)
	}
	return nil
}

func errInvalidCode(op string) error { return fmt.Errorf("%s: %w", op, identity.ErrInvalidCode) }
