package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/notify"
	"github.com/wsisvote/prizes/prizes"
)

// rolesChainLock serialises the changes chained into prizes.RolesChain,
// which no edition's row lock covers.
const rolesChainLock = 7_201_330_007

const invitationColumns = `id::text, email, role, edition_id, category_code, invited_by, created_at, expires_at,
	revoked_at, accepted_at, coalesce(accepted_by, 0)`

func scanInvitation(r pgx.CollectableRow) (prizes.Invitation, error) {
	var inv prizes.Invitation
	err := r.Scan(&inv.ID, &inv.Email, &inv.Role, &inv.Edition, &inv.Category, &inv.InvitedBy, &inv.CreatedAt,
		&inv.ExpiresAt, &inv.RevokedAt, &inv.AcceptedAt, &inv.AcceptedBy)
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	for _, t := range []*time.Time{inv.RevokedAt, inv.AcceptedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return inv, err
}

// editRole runs fn in the transaction of a change to roles: a juror's under
// the edition's row lock and phase check (action), chained into the
// edition's audit log; an organiser's under the roles chain's lock,
// chained into prizes.RolesChain.
func (s *Store) editRole(ctx context.Context, actor prizes.Actor, edition string, action prizes.Action,
	fn func(tx pgx.Tx, ed prizes.Edition) (*change, error)) error {
	if edition != "" {
		return s.edit(ctx, actor, edition, action, fn)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, rolesChainLock); err != nil {
			return err
		}
		ch, err := fn(tx, prizes.Edition{})
		if err != nil || ch == nil {
			return err
		}
		return s.appendAudit(ctx, tx, prizes.RolesChain, actor, action, ch.subject, ch.details)
	})
	return database.Translate(err)
}

// CreateInvitation invites an address to a role and queues the invitation's
// mail, whose link holds the token this returns (only its hash is kept). It
// returns prizes.FieldErrors, voting.ErrUnknownEdition, or a
// *prizes.PhaseError once a juror's edition is published.
func (s *Store) CreateInvitation(ctx context.Context, actor prizes.Actor, n prizes.NewInvitation, languages []string) (prizes.Invitation, string, error) {
	n, err := n.Normalised(languages)
	if err != nil {
		return prizes.Invitation{}, "", fmt.Errorf("invite: %w", err)
	}
	token, hash, err := prizes.NewInvitationToken()
	if err != nil {
		return prizes.Invitation{}, "", fmt.Errorf("invite: %w", err)
	}
	var out prizes.Invitation
	err = s.editRole(ctx, actor, n.Edition, prizes.ActionInvite, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if n.Role == identity.RoleJuror {
			if _, ok := ed.Category(n.Category); !ok {
				return nil, prizes.FieldErrors{"category": fmt.Sprintf("edition %s has no category %q", ed.ID, n.Category)}
			}
		}
		now := s.now()
		rows, _ := tx.Query(ctx, `INSERT INTO invitations (id, token_hash, email, role, edition_id, category_code, language,
				invited_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+invitationColumns,
			s.newID(), hash, n.Email, n.Role, n.Edition, n.Category, n.Language, actor.ID, now, now.Add(prizes.InvitationTTL))
		inv, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
		if err != nil {
			return nil, err
		}
		out = inv
		out.Status = inv.StatusAt(now)
		p := map[string]string{notify.PayloadRole: n.Role, notify.PayloadLink: "/invitations/" + token,
			notify.PayloadDeadline: inv.ExpiresAt.Format(time.RFC3339)}
		if n.Role == identity.RoleJuror {
			for k, v := range editionPayload(ed, n.Category) {
				p[k] = v
			}
		}
		if err := enqueue(ctx, tx, mail{kind: notify.KindInvitation, dedup: "invitation:" + inv.ID, email: n.Email,
			lang: n.Language, payload: p}); err != nil {
			return nil, err
		}
		return &change{subject: inv.ID, details: map[string]any{"email": n.Email, "role": n.Role, "category": n.Category,
			"expires_at": inv.ExpiresAt}}, nil
	})
	if err != nil {
		return prizes.Invitation{}, "", fmt.Errorf("invite %s as %s: %w", n.Email, n.Role, err)
	}
	return out, token, nil
}

// Invitations lists the invitations, newest first, at most limit (1000
// when zero or more).
func (s *Store) Invitations(ctx context.Context, limit int) ([]prizes.Invitation, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+invitationColumns+` FROM invitations ORDER BY created_at DESC, id LIMIT $1`, limit)
	out, err := pgx.CollectRows(rows, scanInvitation)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", database.Translate(err))
	}
	now := s.now()
	for i := range out {
		out[i].Status = out[i].StatusAt(now)
	}
	return out, nil
}

// invitation reads one invitation by id, locked when lock is set.
func invitationByID(ctx context.Context, q querier, id string, lock bool) (prizes.Invitation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return prizes.Invitation{}, fmt.Errorf("invitation %q: %w", id, prizes.ErrUnknownInvitation)
	}
	sql := `SELECT ` + invitationColumns + ` FROM invitations WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, _ := q.Query(ctx, sql, id)
	inv, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	if errors.Is(err, pgx.ErrNoRows) {
		return prizes.Invitation{}, fmt.Errorf("invitation %q: %w", id, prizes.ErrUnknownInvitation)
	}
	return inv, err
}

// RevokeInvitation revokes a pending or expired invitation; revoking it
// again changes nothing. It returns prizes.ErrUnknownInvitation, and
// prizes.ErrInvitationUsed once it was accepted (take the role away with
// prizes roles revoke).
func (s *Store) RevokeInvitation(ctx context.Context, actor prizes.Actor, id string) (prizes.Invitation, error) {
	cur, err := invitationByID(ctx, s.pool, id, false)
	if err != nil {
		return prizes.Invitation{}, fmt.Errorf("revoke invitation: %w", database.Translate(err))
	}
	var out prizes.Invitation
	err = s.editRole(ctx, actor, cur.Edition, prizes.ActionRevokeInvite, func(tx pgx.Tx, _ prizes.Edition) (*change, error) {
		inv, err := invitationByID(ctx, tx, id, true)
		if err != nil {
			return nil, err
		}
		now := s.now()
		out = inv
		out.Status = inv.StatusAt(now)
		switch out.Status {
		case prizes.InvitationRevoked:
			return nil, nil
		case prizes.InvitationAccepted:
			return nil, fmt.Errorf("invitation %s: %w", id, prizes.ErrInvitationUsed)
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, id, now, actor.ID); err != nil {
			return nil, err
		}
		out.RevokedAt, out.Status = &now, prizes.InvitationRevoked
		return &change{subject: id, details: map[string]any{"email": inv.Email, "role": inv.Role, "category": inv.Category}}, nil
	})
	if err != nil {
		return prizes.Invitation{}, fmt.Errorf("revoke invitation %s: %w", id, err)
	}
	return out, nil
}

// InvitationByToken returns the invitation a link's token names, in any
// status. It returns prizes.ErrUnknownInvitation.
func (s *Store) InvitationByToken(ctx context.Context, token string) (prizes.Invitation, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, prizes.HashInvitationToken(token))
	inv, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	if errors.Is(err, pgx.ErrNoRows) {
		return prizes.Invitation{}, fmt.Errorf("read invitation: %w", prizes.ErrUnknownInvitation)
	}
	if err != nil {
		return prizes.Invitation{}, fmt.Errorf("read invitation: %w", database.Translate(err))
	}
	inv.Status = inv.StatusAt(s.now())
	return inv, nil
}

// AcceptInvitation grants the role of the invitation token names to the
// signed-in account, which must be the invited address's: an organiser's
// role, or a juror's for the edition and category, who is also put on the
// category's panel. The grant is audited with the invitation. Tokens carry
// the role from the next sign-in or refresh. It returns
// prizes.ErrUnknownInvitation, prizes.ErrInvitationExpired,
// prizes.ErrInvitationRevoked, prizes.ErrInvitationUsed,
// prizes.ErrInvitationAddress, or a *prizes.PhaseError once a juror's
// edition is published.
func (s *Store) AcceptInvitation(ctx context.Context, account int64, token string) (prizes.Invitation, error) {
	cur, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return prizes.Invitation{}, fmt.Errorf("accept invitation: %w", err)
	}
	actor := prizes.Actor{ID: account, Role: "invitee"}
	var out prizes.Invitation
	err = s.editRole(ctx, actor, cur.Edition, prizes.ActionGrantRole, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		inv, err := invitationByID(ctx, tx, cur.ID, true)
		if err != nil {
			return nil, err
		}
		now := s.now()
		if err := inv.Usable(now); err != nil {
			return nil, fmt.Errorf("invitation %s: %w", inv.ID, err)
		}
		var email *string
		if err := tx.QueryRow(ctx, `SELECT email FROM accounts WHERE id = $1`, account).Scan(&email); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil, fmt.Errorf("account %d: %w", account, prizes.ErrInvitationAddress)
			}
			return nil, err
		}
		if !sameMailbox(email, inv.Email) {
			return nil, fmt.Errorf("invitation %s: %w", inv.ID, prizes.ErrInvitationAddress)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO account_grants (account_id, role, edition_id, category_code, granted_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, account, inv.Role, inv.Edition, inv.Category, now); err != nil {
			return nil, err
		}
		if inv.Role == identity.RoleJuror {
			tag, err := tx.Exec(ctx, `INSERT INTO jury_assignments (edition_id, juror_id, category_code, assigned_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, ed.ID, account, inv.Category, now)
			if err != nil {
				return nil, err
			}
			if tag.RowsAffected() > 0 {
				if err := enqueue(ctx, tx, assignedMail(ed, account, inv.Category)); err != nil {
					return nil, err
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1`, inv.ID, now, account); err != nil {
			return nil, err
		}
		// An account with no language yet takes the invitation's for its mail.
		if _, err := tx.Exec(ctx, `UPDATE accounts SET language = i.language FROM invitations i
			WHERE accounts.id = $1 AND i.id = $2 AND accounts.language = ''`, account, inv.ID); err != nil {
			return nil, err
		}
		out = inv
		out.AcceptedAt, out.AcceptedBy, out.Status = &now, account, prizes.InvitationAccepted
		return &change{subject: fmt.Sprintf("%d", account), details: map[string]any{"invitation": inv.ID, "role": inv.Role,
			"category": inv.Category, "invited_by": inv.InvitedBy}}, nil
	})
	if err != nil {
		return prizes.Invitation{}, fmt.Errorf("accept invitation: %w", err)
	}
	return out, nil
}

// sameMailbox reports whether an account's address and an invited one are
// the same mailbox, by their canonical forms.
func sameMailbox(account *string, invited string) bool {
	if account == nil {
		return false
	}
	a, err1 := identity.ParseEmail(*account)
	b, err2 := identity.ParseEmail(invited)
	return err1 == nil && err2 == nil && a.Canonical == b.Canonical
}
