package postgres

// Accounts for rehearsals, load tests and organiser setup: operator tooling
// that creates verified accounts directly, without the emailed code.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/kind"
)

// EnsureAccount returns the account with the given email, creating it
// verified when there is none. Name and country (ISO 3166 alpha-2, used by
// the Champion tie-break on voter countries) are set only when the account
// is created. It is operator tooling for rehearsals and organiser setup.
func (s *Store) EnsureAccount(ctx context.Context, email, name, country string) (identity.Account, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || !strings.Contains(email, "@") {
		return identity.Account{}, fmt.Errorf("ensure account %q: not an email address: %w", email, kind.ErrInvalid)
	}
	a, err := scanAccount(s.pool.QueryRow(ctx, `
		WITH created AS (
			INSERT INTO accounts (email, display_name, country, verified_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (email) DO NOTHING
			RETURNING id, email, display_name, country, created_at, verified_at
		)
		SELECT id, email, display_name, country, created_at, verified_at FROM created
		UNION ALL
		SELECT `+accountColumns+` FROM accounts WHERE email = $1
		LIMIT 1`, email, name, strings.ToUpper(country)))
	if err != nil {
		return identity.Account{}, fmt.Errorf("ensure account %q: %w", email, database.Translate(err))
	}
	return a, nil
}

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
		return nil, fmt.Errorf("create %d voters: %w", n, database.Translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Voter, error) {
		var v Voter
		err := r.Scan(&v.ID, &v.CreatedAt)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("create %d voters: %w", n, database.Translate(err))
	}
	return out, nil
}

// NewAccount is a verified account a rehearsal creates with the facts the
// fraud analysis reads: when it was created, its address (of which only
// the domain is ever exported) and its country.
type NewAccount struct {
	Email     string
	Country   string
	CreatedAt time.Time
}

// CreateAccounts creates one verified account per entry of accts, in one
// statement, and returns them in the same order. An address already taken
// fails the whole statement with a conflict.
func (s *Store) CreateAccounts(ctx context.Context, accts []NewAccount) ([]Voter, error) {
	if len(accts) == 0 {
		return nil, nil
	}
	emails := make([]string, len(accts))
	countries := make([]string, len(accts))
	created := make([]time.Time, len(accts))
	at := make(map[string]int, len(accts))
	for i, a := range accts {
		emails[i], countries[i], created[i] = a.Email, a.Country, a.CreatedAt
		at[a.Email] = i
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO accounts (email, display_name, country, created_at, verified_at)
		SELECT e, '', c, t, t FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(e, c, t)
		RETURNING id, email, created_at`, emails, countries, created)
	if err != nil {
		return nil, fmt.Errorf("create %d accounts: %w", len(accts), database.Translate(err))
	}
	out := make([]Voter, len(accts))
	n := 0
	for rows.Next() {
		var v Voter
		var email string
		if err := rows.Scan(&v.ID, &email, &v.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("create %d accounts: %w", len(accts), database.Translate(err))
		}
		out[at[email]] = v
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("create %d accounts: %w", len(accts), database.Translate(err))
	}
	if n != len(accts) {
		return nil, fmt.Errorf("create %d accounts: %d created", len(accts), n)
	}
	return out, nil
}
