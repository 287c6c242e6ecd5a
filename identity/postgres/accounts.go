package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

const accountColumns = `id, coalesce(email, ''), display_name, country, created_at, coalesce(verified_at, created_at)`

func scanAccount(row pgx.Row) (identity.Account, error) {
	var a identity.Account
	err := row.Scan(&a.ID, &a.Email, &a.DisplayName, &a.Country, &a.CreatedAt, &a.VerifiedAt)
	return a, err
}

// Enrol implements identity.Accounts. An account made by operator tooling
// with this address but no hash yet is adopted; otherwise one upsert finds,
// creates or restores the account, so concurrent first sign-ins of one
// address make one account.
func (s *Store) Enrol(ctx context.Context, e identity.Enrolment) (identity.Account, error) {
	const op = "enrol account"
	if len(e.EmailHash) == 0 || e.Email == "" {
		return identity.Account{}, fmt.Errorf("%s: email and its hash are required: %w", op, kind.ErrInvalid)
	}
	var a identity.Account
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		a, err = scanAccount(tx.QueryRow(ctx, `UPDATE accounts SET email_hash = $2, verified_at = coalesce(verified_at, $3)
			WHERE email = $1 AND email_hash IS NULL AND erased_at IS NULL
			RETURNING `+accountColumns, e.Email, e.EmailHash, e.At))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// A conflicting insert locks the existing row, and the update
		// restores an erased account with the new address and profile; a
		// live account keeps its own.
		a, err = scanAccount(tx.QueryRow(ctx, `INSERT INTO accounts (email, email_hash, display_name, country, created_at, verified_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (email_hash) DO UPDATE SET
				email        = CASE WHEN accounts.erased_at IS NULL THEN accounts.email ELSE EXCLUDED.email END,
				display_name = CASE WHEN accounts.erased_at IS NULL THEN accounts.display_name ELSE EXCLUDED.display_name END,
				country      = CASE WHEN accounts.erased_at IS NULL THEN accounts.country ELSE EXCLUDED.country END,
				verified_at  = coalesce(accounts.verified_at, EXCLUDED.verified_at),
				erased_at    = NULL
			RETURNING `+accountColumns,
			e.Email, e.EmailHash, e.Profile.DisplayName, e.Profile.Country, e.At))
		return err
	})
	if err != nil {
		return identity.Account{}, wrap(op, err)
	}
	return a, nil
}

// Account implements identity.Accounts.
func (s *Store) Account(ctx context.Context, id int64) (identity.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 AND erased_at IS NULL`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return identity.Account{}, fmt.Errorf("read account %d: %w", id, identity.ErrNotFound)
	}
	if err != nil {
		return identity.Account{}, wrap(fmt.Sprintf("read account %d", id), err)
	}
	return a, nil
}

// AccountID returns the id of the live account with the given email hash,
// or identity.ErrNotFound.
func (s *Store) AccountID(ctx context.Context, emailHash []byte) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE email_hash = $1 AND erased_at IS NULL`, emailHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("find account: %w", identity.ErrNotFound)
	}
	if err != nil {
		return 0, wrap("find account", err)
	}
	return id, nil
}

// Grants implements identity.Accounts.
func (s *Store) Grants(ctx context.Context, id int64) ([]identity.Grant, error) {
	// A seat on a jury panel (jury_assignments, managed by organisers through
	// the prize lifecycle) is a juror grant for that edition and category, so
	// the panel is the one source of truth for who judges what.
	rows, _ := s.pool.Query(ctx, `SELECT role, edition_id, category_code FROM account_grants
			WHERE account_id = $1
		UNION
		SELECT 'juror', edition_id, category_code FROM jury_assignments
			WHERE juror_id = $1
		ORDER BY 1, 2, 3`, id)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.Grant, error) {
		var g identity.Grant
		err := r.Scan(&g.Role, &g.Edition, &g.Category)
		return g, err
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("read grants of %d", id), err)
	}
	return out, nil
}

// Grant gives g to the account with the given email hash, for operator
// tooling; granting twice is harmless. It returns kind.ErrInvalid for a
// bad grant and identity.ErrNotFound when no live account has the hash.
func (s *Store) Grant(ctx context.Context, emailHash []byte, g identity.Grant) (int64, error) {
	if err := g.Validate(); err != nil {
		return 0, fmt.Errorf("grant: %w", err)
	}
	var id int64
	err := s.pool.QueryRow(ctx, `WITH a AS (SELECT id FROM accounts WHERE email_hash = $1 AND erased_at IS NULL)
		INSERT INTO account_grants (account_id, role, edition_id, category_code)
		SELECT id, $2, $3, $4 FROM a
		ON CONFLICT DO NOTHING
		RETURNING account_id`, emailHash, g.Role, g.Edition, g.Category).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Either there is no such account or the grant existed already.
		err = s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE email_hash = $1 AND erased_at IS NULL`, emailHash).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("grant %s: %w", g.Role, identity.ErrNotFound)
		}
	}
	if err != nil {
		return 0, wrap("grant "+g.Role, err)
	}
	return id, nil
}

// Revoke takes g away from the account with the given email hash. It
// reports whether there was such a grant.
func (s *Store) RevokeGrant(ctx context.Context, emailHash []byte, g identity.Grant) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM account_grants WHERE account_id =
		(SELECT id FROM accounts WHERE email_hash = $1) AND role = $2 AND edition_id = $3 AND category_code = $4`,
		emailHash, g.Role, g.Edition, g.Category)
	if err != nil {
		return false, wrap("revoke "+g.Role, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Record implements identity.Accounts.
func (s *Store) Record(ctx context.Context, ev identity.Event) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO account_events (account_id, kind, at, client_net, client_hash, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6)`, ev.Account, ev.Kind, ev.At, ev.Network, ev.ClientHash, ev.UserAgent)
	if err != nil {
		return wrap("record "+ev.Kind, err)
	}
	return nil
}

// Export implements identity.Accounts. It reads in one snapshot, so the
// parts agree with each other.
func (s *Store) Export(ctx context.Context, id int64) (identity.Export, error) {
	op := fmt.Sprintf("export account %d", id)
	var x identity.Export
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		x.Account, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 AND erased_at IS NULL`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return identity.ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT role, edition_id, category_code FROM account_grants WHERE account_id = $1 ORDER BY 1, 2, 3`, id)
		if x.Grants, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.Grant, error) {
			var g identity.Grant
			return g, r.Scan(&g.Role, &g.Edition, &g.Category)
		}); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT kind, at, client_net, client_hash, user_agent FROM account_events
			WHERE account_id = $1 ORDER BY at, id`, id)
		if x.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.Event, error) {
			ev := identity.Event{Account: id}
			return ev, r.Scan(&ev.Kind, &ev.At, &ev.Network, &ev.ClientHash, &ev.UserAgent)
		}); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT f.id, f.created_at, coalesce(max(t.issued_at), f.created_at), f.expires_at,
				coalesce(f.revoked_at, 'epoch'::timestamptz)
			FROM refresh_families f LEFT JOIN refresh_tokens t ON t.family_id = f.id
			WHERE f.account_id = $1 GROUP BY f.id ORDER BY f.created_at`, id)
		if x.Sessions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.ExportedSession, error) {
			var es identity.ExportedSession
			err := r.Scan(&es.Family, &es.Started, &es.LastUsed, &es.Expires, &es.RevokedAt)
			if es.RevokedAt.Equal(time.Unix(0, 0)) {
				es.RevokedAt = time.Time{}
			}
			return es, err
		}); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT edition_id, project_id::text, category_code, cast_at FROM votes
			WHERE voter_id = $1 ORDER BY cast_at`, id)
		x.Votes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.ExportedVote, error) {
			var v identity.ExportedVote
			return v, r.Scan(&v.Edition, &v.Project, &v.Category, &v.CastAt)
		})
		return err
	})
	if errors.Is(err, identity.ErrNotFound) {
		return identity.Export{}, fmt.Errorf("%s: %w", op, identity.ErrNotFound)
	}
	if err != nil {
		return identity.Export{}, wrap(op, err)
	}
	return x, nil
}

// Erase implements identity.Accounts: in one transaction the account row
// loses its address, name and country, and its grants, history, codes and
// sessions go. The row itself, its id and its email hash stay, so votes
// keep their voter id and the person cannot come back as a new voter.
func (s *Store) Erase(ctx context.Context, id int64, at time.Time) error {
	op := fmt.Sprintf("erase account %d", id)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var hash []byte
		err := tx.QueryRow(ctx, `UPDATE accounts SET email = NULL, display_name = '', country = '', erased_at = $2
			WHERE id = $1 AND erased_at IS NULL RETURNING email_hash`, id, at).Scan(&hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return identity.ErrNotFound
		}
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM account_grants WHERE account_id = $1`, id)
		b.Queue(`DELETE FROM account_events WHERE account_id = $1`, id)
		b.Queue(`DELETE FROM refresh_families WHERE account_id = $1`, id)
		b.Queue(`DELETE FROM sign_in_codes WHERE email_hash = $1`, hash)
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("%s: %w", op, identity.ErrNotFound)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}
