package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/kind"
)

// Account is an account as operator tooling sees it.
type Account struct {
	ID        int64
	Email     string
	CreatedAt time.Time
}

// EnsureAccount returns the account with the given email, creating it
// verified when there is none. Name and country (ISO 3166 alpha-2, used by
// the Champion tie-break on voter countries) are set only when the account
// is created. It is operator tooling for rehearsals and organiser setup.
func (s *Store) EnsureAccount(ctx context.Context, email, name, country string) (Account, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || !strings.Contains(email, "@") {
		return Account{}, fmt.Errorf("ensure account %q: not an email address: %w", email, kind.ErrInvalid)
	}
	var a Account
	err := s.pool.QueryRow(ctx, `
		WITH created AS (
			INSERT INTO accounts (email, display_name, country, verified_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (email) DO NOTHING
			RETURNING id, email, created_at
		)
		SELECT id, email, created_at FROM created
		UNION ALL
		SELECT id, email, created_at FROM accounts WHERE email = $1
		LIMIT 1`, email, name, strings.ToUpper(country)).Scan(&a.ID, &a.Email, &a.CreatedAt)
	if err != nil {
		return Account{}, fmt.Errorf("ensure account %q: %w", email, translate(err))
	}
	return a, nil
}

// Account returns the account with the given id.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	var a Account
	var email *string
	err := s.pool.QueryRow(ctx, `SELECT id, email, created_at FROM accounts WHERE id = $1`, id).Scan(&a.ID, &email, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, fmt.Errorf("account %d: no such account: %w", id, kind.ErrInvalid)
	}
	if err != nil {
		return Account{}, fmt.Errorf("account %d: %w", id, translate(err))
	}
	if email != nil {
		a.Email = *email
	}
	return a, nil
}
