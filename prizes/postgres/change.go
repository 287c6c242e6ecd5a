package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/prizes"
)

// Change runs fn the way every change to an edition's record is made: in one
// transaction that holds the edition's row lock, once the edition's phase
// allows action, with what fn returns appended to the edition's audit log in
// the same transaction (subject and details; nothing when subject is empty).
// It is for the adapters of other domains that change an edition's record,
// such as fraud review, so that their changes are serialised with the
// lifecycle's and chained into the same log. A refused phase is a
// *prizes.PhaseError, and a failed fn changes nothing.
func (s *Store) Change(ctx context.Context, actor prizes.Actor, edition string, action prizes.Action,
	fn func(tx pgx.Tx, ed prizes.Edition) (subject string, details any, err error)) error {
	return s.edit(ctx, actor, edition, action, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		subject, details, err := fn(tx, ed)
		if err != nil || subject == "" {
			return nil, err
		}
		return &change{subject: subject, details: details}, nil
	})
}
