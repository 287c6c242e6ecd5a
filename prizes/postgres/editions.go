package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// CreateEdition creates an edition in its draft phase. It returns
// prizes.FieldErrors for bad input and prizes.ErrEditionExists when the id is
// taken.
func (s *Store) CreateEdition(ctx context.Context, actor prizes.Actor, n prizes.NewEdition) (prizes.Edition, error) {
	rules, err := n.Check()
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("create edition: %w", err)
	}
	schedule, err := json.Marshal(n.Schedule)
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("create edition %q: schedule: %w", n.ID, err)
	}
	var ed prizes.Edition
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO editions (id, name, phase, rules, schedule) VALUES ($1, $2, 'draft', $3, $4)`,
			n.ID, n.Name, rules.Canonical(), schedule); err != nil {
			if constraintOf(err, codeUniqueViolation) != "" {
				return fmt.Errorf("edition %q: %w", n.ID, prizes.ErrEditionExists)
			}
			return err
		}
		b := &pgx.Batch{}
		for i, c := range n.Categories {
			b.Queue(`INSERT INTO categories (edition_id, code, name, position) VALUES ($1, $2, $3, $4)`, n.ID, c.Code, c.Name, i+1)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		codes := make([]string, len(n.Categories))
		for i, c := range n.Categories {
			codes[i] = c.Code
		}
		if err := s.appendAudit(ctx, tx, n.ID, actor, prizes.ActionCreateEdition, n.ID, map[string]any{
			"name": n.Name, "categories": codes, "rules": json.RawMessage(rules.Canonical()), "schedule": n.Schedule,
		}); err != nil {
			return err
		}
		ed, err = loadEdition(ctx, tx, n.ID, false)
		return err
	})
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("create edition %q: %w", n.ID, database.Translate(err))
	}
	return ed, nil
}

// Edition returns one edition. It returns voting.ErrUnknownEdition when there
// is none with this id.
func (s *Store) Edition(ctx context.Context, id string) (prizes.Edition, error) {
	ed, err := loadEdition(ctx, s.pool, id, false)
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("read edition: %w", database.Translate(err))
	}
	return ed, nil
}

// Editions returns every edition, newest first.
func (s *Store) Editions(ctx context.Context) ([]prizes.Edition, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id FROM editions ORDER BY created_at DESC, id`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list editions: %w", database.Translate(err))
	}
	out := make([]prizes.Edition, 0, len(ids))
	for _, id := range ids {
		ed, err := loadEdition(ctx, s.pool, id, false)
		if errors.Is(err, voting.ErrUnknownEdition) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("list editions: %w", database.Translate(err))
		}
		out = append(out, ed)
	}
	return out, nil
}

// UpdateRules replaces the settings named in patch, a JSON object of rules
// keys. It returns a *prizes.PhaseError once voting has opened (the rules are
// frozen then) and prizes.FieldErrors for bad settings.
func (s *Store) UpdateRules(ctx context.Context, actor prizes.Actor, edition string, patch []byte) (prizes.Edition, error) {
	var out prizes.Edition
	err := s.edit(ctx, actor, edition, prizes.ActionUpdateRules, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		rules, err := ed.Rules.Patch(patch)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE editions SET rules = $2, updated_at = now() WHERE id = $1`, ed.ID, rules.Canonical()); err != nil {
			return nil, err
		}
		ed.Rules = rules
		out = ed
		return &change{subject: "rules", details: map[string]any{"patch": json.RawMessage(patch), "rules_hash": rules.Hash()}}, nil
	})
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("update rules of %q: %w", edition, err)
	}
	return out, nil
}

// SetSchedule replaces the edition's phase windows. A window that would
// close the running phase at once needs closeNow (see
// prizes.Schedule.CheckChange), and the audit log records that it was
// given. It returns prizes.FieldErrors for bad windows and a
// *prizes.PhaseError once the edition is published.
func (s *Store) SetSchedule(ctx context.Context, actor prizes.Actor, edition string, sched prizes.Schedule, closeNow bool) (prizes.Edition, error) {
	if err := sched.Check(); err != nil {
		return prizes.Edition{}, fmt.Errorf("set schedule of %q: %w", edition, err)
	}
	raw, err := json.Marshal(sched)
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("set schedule of %q: %w", edition, err)
	}
	var out prizes.Edition
	err = s.edit(ctx, actor, edition, prizes.ActionSetSchedule, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if err := sched.CheckChange(ed.Schedule, ed.Phase, s.now(), closeNow); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE editions SET schedule = $2, updated_at = now() WHERE id = $1`, ed.ID, raw); err != nil {
			return nil, err
		}
		ed.Schedule = sched
		out = ed
		if closeNow {
			return &change{subject: "schedule", details: map[string]any{"schedule": sched, "close_now": true}}, nil
		}
		return &change{subject: "schedule", details: sched}, nil
	})
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("set schedule of %q: %w", edition, err)
	}
	return out, nil
}

// Advance moves an edition to its next phase, which must be to. Leaving
// review freezes the rules; leaving counting chooses the Champions from the
// ledger; leaving the jury phase publishes the signed results. It returns a
// *prizes.PhaseError when to is not the next phase, a *prizes.TieError when
// a tie at a cut needs an organiser decision, and an error wrapping
// prizes.ErrNotReady when the phase cannot close yet.
func (s *Store) Advance(ctx context.Context, actor prizes.Actor, edition string, to voting.Phase) (prizes.Edition, error) {
	if !prizes.ValidPhase(to) {
		return prizes.Edition{}, fmt.Errorf("advance %q: %w", edition, prizes.FieldErrors{"phase": "must be one of draft, submission, review, voting, counting, jury, published"})
	}
	err := s.edit(ctx, actor, edition, prizes.ActionAdvance, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		next, _ := prizes.NextPhase(ed.Phase)
		if to != next {
			return nil, &prizes.PhaseError{Edition: ed.ID, Phase: ed.Phase, Allowed: previousOf(to)}
		}
		details := map[string]any{"from": ed.Phase, "to": to}
		var err error
		switch to {
		case voting.PhaseVoting:
			err = s.openVoting(ctx, tx, ed, details)
		case voting.PhaseJury:
			err = s.closeCounting(ctx, tx, ed, details)
		case voting.PhasePublished:
			err = s.publish(ctx, tx, ed, details)
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE editions SET phase = $2, updated_at = now() WHERE id = $1`, ed.ID, string(to)); err != nil {
			return nil, err
		}
		return &change{subject: string(to), details: details}, nil
	})
	if err != nil {
		return prizes.Edition{}, fmt.Errorf("advance %q to %s: %w", edition, to, err)
	}
	return s.Edition(ctx, edition)
}

// previousOf returns the phase from which an edition may advance to p.
func previousOf(p voting.Phase) []voting.Phase {
	for _, q := range prizes.Phases() {
		if n, ok := prizes.NextPhase(q); ok && n == p {
			return []voting.Phase{q}
		}
	}
	return nil
}

// openVoting freezes the rules. Every submitted entry must have been
// reviewed, and at least one nominated: an entry nobody looked at must not
// silently miss the ballot.
func (s *Store) openVoting(ctx context.Context, tx pgx.Tx, ed prizes.Edition, details map[string]any) error {
	var waiting, nominated int
	if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'submitted'), count(*) FILTER (WHERE status = 'nominated')
		FROM projects WHERE edition_id = $1`, ed.ID).Scan(&waiting, &nominated); err != nil {
		return err
	}
	if waiting > 0 {
		return fmt.Errorf("%d submitted entries still await review: %w", waiting, prizes.ErrNotReady)
	}
	if nominated == 0 {
		return fmt.Errorf("no entry is nominated: %w", prizes.ErrNotReady)
	}
	hash, err := s.freezeRules(ctx, tx, ed)
	if err != nil {
		return err
	}
	details["rules_hash"] = hash
	details["nominees"] = nominated
	return queueVotingOpen(ctx, tx, ed)
}

// freezeRules stores the edition's rules in canonical form with their hash
// and the time they froze, and returns the hash: what opening voting does
// to the rules, and what VerifyResults later holds the published results
// to.
func (s *Store) freezeRules(ctx context.Context, tx pgx.Tx, ed prizes.Edition) (string, error) {
	hash := ed.Rules.Hash()
	if _, err := tx.Exec(ctx, `UPDATE editions SET rules = $2, rules_hash = $3, rules_frozen_at = $4 WHERE id = $1`,
		ed.ID, ed.Rules.Canonical(), hash, s.now()); err != nil {
		return "", err
	}
	return hash, nil
}

// FreezeSeededRules freezes the rules of an edition that was seeded
// straight into voting or a later phase, so never opened voting, as
// opening voting would have: the canonical rules, their hash and the time.
// The freeze is recorded in the audit log as the system's. An edition whose
// rules are frozen already, or that is not voting yet, is left as it is, so
// seeding twice is harmless. It returns voting.ErrUnknownEdition.
func (s *Store) FreezeSeededRules(ctx context.Context, edition string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ed, err := loadEdition(ctx, tx, edition, true)
		if err != nil || !ed.Frozen() || ed.RulesHash != "" {
			return err
		}
		hash, err := s.freezeRules(ctx, tx, ed)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, ed.ID, prizes.SystemActor(), prizes.ActionFreezeRules, "rules",
			map[string]any{"rules_hash": hash, "seeded_in": ed.Phase})
	})
	if err != nil {
		return fmt.Errorf("freeze the rules of %q: %w", edition, database.Translate(err))
	}
	return nil
}

// AdvanceDue advances every edition whose schedule says it is due at now,
// as the system actor, and returns the ids it advanced. An edition that
// cannot advance yet (a tie, missing scores) stays where it is and its error
// is returned, joined with the others'; an edition another node advanced
// meanwhile is skipped.
func (s *Store) AdvanceDue(ctx context.Context, now time.Time) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, phase, schedule FROM editions WHERE phase <> 'published' ORDER BY id`)
	type due struct {
		id   string
		next voting.Phase
	}
	var todo []due
	var id, phase string
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&id, &phase, &raw}, func() error {
		var sched prizes.Schedule
		if err := json.Unmarshal(raw, &sched); err != nil {
			return fmt.Errorf("edition %q: schedule: %w", id, err)
		}
		if sched.Due(voting.Phase(phase), now) {
			next, _ := prizes.NextPhase(voting.Phase(phase))
			todo = append(todo, due{id, next})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advance due editions: %w", database.Translate(err))
	}
	var advanced []string
	var errs []error
	for _, d := range todo {
		_, err := s.Advance(ctx, prizes.SystemActor(), d.id, d.next)
		switch {
		case err == nil:
			advanced = append(advanced, d.id)
		case errors.Is(err, prizes.ErrWrongPhase):
		default:
			errs = append(errs, err)
		}
	}
	return advanced, errors.Join(errs...)
}
