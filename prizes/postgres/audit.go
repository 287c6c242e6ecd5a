package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// appendAudit chains one entry onto the edition's log inside tx. The
// caller holds the edition's row lock, so appends to one chain never race;
// the head row is locked all the same, for appends that come without it.
func (s *Store) appendAudit(ctx context.Context, tx pgx.Tx, edition string, actor prizes.Actor, action prizes.Action, subject string, details any) error {
	head, err := auditHead(ctx, tx, edition, true)
	if err != nil {
		return err
	}
	e, err := prizes.NewAuditEntry(edition, head, s.now(), actor, action, subject, details)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log
		(edition_id, seq, at, actor_id, actor_role, action, subject, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.Edition, e.Seq, e.At, e.ActorID, e.ActorRole, string(e.Action), e.Subject, string(e.Details), e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_heads (edition_id, seq, hash) VALUES ($1, $2, $3)
		ON CONFLICT (edition_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Edition, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("move audit head: %w", err)
	}
	return nil
}

func auditHead(ctx context.Context, q querier, edition string, lock bool) (prizes.AuditHead, error) {
	sql := `SELECT seq, hash FROM audit_heads WHERE edition_id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var h prizes.AuditHead
	err := q.QueryRow(ctx, sql, edition).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return prizes.GenesisHead(edition), nil
	}
	if err != nil {
		return prizes.AuditHead{}, fmt.Errorf("read audit head: %w", err)
	}
	return h, nil
}

// AuditLog returns up to limit entries of an edition's audit log after
// sequence number after, oldest first. It returns voting.ErrUnknownEdition
// when the edition does not exist.
func (s *Store) AuditLog(ctx context.Context, edition string, after int64, limit int) ([]prizes.AuditEntry, error) {
	if _, err := loadEdition(ctx, s.pool, edition, false); err != nil {
		return nil, fmt.Errorf("read audit log: %w", database.Translate(err))
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	out, err := auditEntries(ctx, s.pool, edition, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

func auditEntries(ctx context.Context, q querier, edition string, after int64, limit int) ([]prizes.AuditEntry, error) {
	sql := `SELECT edition_id, seq, at, actor_id, actor_role, action, subject, details, prev_hash, hash
		FROM audit_log WHERE edition_id = $1 AND seq > $2 ORDER BY seq`
	args := []any{edition, after}
	if limit > 0 {
		sql += ` LIMIT $3`
		args = append(args, limit)
	}
	rows, _ := q.Query(ctx, sql, args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.AuditEntry, error) {
		var e prizes.AuditEntry
		var action, details string
		err := r.Scan(&e.Edition, &e.Seq, &e.At, &e.ActorID, &e.ActorRole, &action, &e.Subject, &details, &e.PrevHash, &e.Hash)
		e.At = e.At.UTC()
		e.Action = prizes.Action(action)
		e.Details = []byte(details)
		return e, err
	})
}

// VerifyAudit checks an edition's whole audit chain, its recorded head, and
// the head signed into its published results. It reads the log in one
// snapshot, so entries appended meanwhile do not look like tampering. It
// returns voting.ErrUnknownEdition when the edition has neither a row nor a
// log.
func (s *Store) VerifyAudit(ctx context.Context, edition string) (prizes.AuditReport, error) {
	var rep prizes.AuditReport
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		entries, err := auditEntries(ctx, tx, edition, 0, 0)
		if err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM editions WHERE id = $1)`, edition).Scan(&exists); err != nil {
			return err
		}
		if !exists && len(entries) == 0 {
			return fmt.Errorf("edition %q: %w", edition, voting.ErrUnknownEdition)
		}
		head, err := auditHead(ctx, tx, edition, false)
		if err != nil {
			return err
		}
		var anchors []prizes.AuditHead
		if signed, err := readResults(ctx, tx, edition); err == nil {
			if r, err := signed.Results(); err == nil {
				anchors = append(anchors, r.AuditHead)
			}
		} else if !errors.Is(err, prizes.ErrNotPublished) {
			return err
		}
		rep = prizes.VerifyAudit(edition, entries, head, anchors)
		return nil
	})
	if err != nil {
		return prizes.AuditReport{}, fmt.Errorf("verify audit log of %q: %w", edition, database.Translate(err))
	}
	return rep, nil
}
