package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// Decide records an organiser's decision on a case, as one change of the
// edition's record (prizes.ActionFraudDecide: in the voting, counting and
// jury phases; refused after publication with a *prizes.PhaseError). In one
// transaction it sets the case's state, moves the status of its votes (see
// the package comment), appends the decision and an audit entry, and writes
// what the decision owes the live tally.
//
// The order is the ledger first, then the live tally: only once the
// transaction has committed are the deltas applied to the live counters,
// under the decision's id, so that applying them twice changes nothing. If
// the counters cannot be reached the decision stands, TallyPending is set,
// and the adjustment waits in PostgreSQL until ApplyTally (run by the next
// decision, by serve and by prizes fraud tally) applies it; prizes check
// counts it meanwhile. The live tally is never ahead of the ledger.
//
// It returns prizes.FieldErrors for a malformed request,
// antifraud.ErrUnknownCase, antifraud.ErrSameDecision when the case already
// stands as asked, and voting.ErrUnknownEdition.
func (s *Store) Decide(ctx context.Context, actor prizes.Actor, edition, caseID string, req antifraud.DecisionRequest) (antifraud.Decision, error) {
	op := fmt.Sprintf("decide fraud case %s of %q", caseID, edition)
	if err := req.Check(); err != nil {
		return antifraud.Decision{}, fmt.Errorf("%s: %w", op, err)
	}
	var d antifraud.Decision
	err := s.lifecycle.Change(ctx, actor, edition, prizes.ActionFraudDecide, func(tx pgx.Tx, ed prizes.Edition) (string, any, error) {
		var err error
		d, err = s.decide(ctx, tx, actor, edition, caseID, req)
		if err != nil {
			return "", nil, err
		}
		return "case " + caseID, map[string]any{
			"case": caseID, "decision": d.Decision, "reason": d.Reason, "votes": d.Votes, "deltas": d.Deltas,
			"decision_id": d.ID,
		}, nil
	})
	if err != nil {
		return antifraud.Decision{}, fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	if len(d.Deltas) > 0 {
		if _, err := s.ApplyTally(ctx, edition); err != nil || s.live == nil {
			d.TallyPending = true
		}
	}
	return d, nil
}

// decide does Decide's work inside its transaction.
func (s *Store) decide(ctx context.Context, tx pgx.Tx, actor prizes.Actor, edition, caseID string, req antifraud.DecisionRequest) (antifraud.Decision, error) {
	var state string
	err := tx.QueryRow(ctx, `SELECT state FROM fraud_cases WHERE edition_id = $1 AND id = $2 FOR UPDATE`, edition, caseID).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return antifraud.Decision{}, antifraud.ErrUnknownCase
	}
	if err != nil {
		return antifraud.Decision{}, err
	}
	next := antifraud.StateAfter(req.Decision)
	if antifraud.CaseState(state) == next {
		return antifraud.Decision{}, fmt.Errorf("case %s is %s: %w", caseID, state, antifraud.ErrSameDecision)
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE fraud_cases SET state = $3, updated_at = $4 WHERE edition_id = $1 AND id = $2`,
		edition, caseID, string(next), now); err != nil {
		return antifraud.Decision{}, err
	}
	changed, deltas, err := restatus(ctx, tx, edition, caseID)
	if err != nil {
		return antifraud.Decision{}, err
	}
	d := antifraud.Decision{Case: caseID, Decision: req.Decision, Reason: req.Reason, DecidedBy: actor.ID,
		DecidedAt: now.UTC(), Votes: changed, Deltas: deltas}
	raw, err := json.Marshal(deltas)
	if err != nil {
		return antifraud.Decision{}, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO fraud_decisions (edition_id, case_id, decision, reason, decided_by, decided_at, votes, deltas)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, decided_at`,
		edition, caseID, req.Decision, req.Reason, actor.ID, now, changed, raw).Scan(&d.ID, &d.DecidedAt); err != nil {
		return antifraud.Decision{}, err
	}
	d.DecidedAt = d.DecidedAt.UTC()
	if len(deltas) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_tally_adjustments (decision_id, edition_id) VALUES ($1, $2)`, d.ID, edition); err != nil {
			return antifraud.Decision{}, err
		}
	}
	return d, nil
}

// restatus sets the status and reasons of a case's reviewable votes from
// the states of every case that holds them, and returns how many votes
// changed and by how much each project's count of votes that count moved.
func restatus(ctx context.Context, tx pgx.Tx, edition, caseID string) (int, map[string]int64, error) {
	rows, _ := tx.Query(ctx, `WITH target AS (
			SELECT v.id, v.project_id, v.status AS old_status, v.reasons AS old_reasons,
				coalesce(v.ingest_status, v.status) AS base_status,
				coalesce(v.ingest_reasons, v.reasons) AS base_reasons,
				(SELECT array_agg(DISTINCT c.kind) FROM fraud_case_votes o JOIN fraud_cases c
					ON c.edition_id = o.edition_id AND c.id = o.case_id
					WHERE o.vote_id = v.id AND c.state = 'invalidated') AS invalidating,
				(SELECT array_agg(DISTINCT c.kind) FROM fraud_case_votes o JOIN fraud_cases c
					ON c.edition_id = o.edition_id AND c.id = o.case_id
					WHERE o.vote_id = v.id AND c.state = 'open') AS open
			FROM fraud_case_votes m JOIN votes v ON v.id = m.vote_id AND v.edition_id = m.edition_id
			WHERE m.edition_id = $1 AND m.case_id = $2
				AND coalesce(v.ingest_status, v.status) IN ('counted', 'flagged')
		), next AS (
			SELECT id, project_id, old_status, old_reasons, base_status, base_reasons,
				CASE WHEN invalidating IS NOT NULL THEN 'invalidated'
					WHEN open IS NOT NULL AND old_status <> 'invalidated' THEN old_status
					WHEN open IS NOT NULL THEN 'flagged'
					ELSE base_status END AS status,
				CASE WHEN invalidating IS NOT NULL THEN
						(SELECT array_agg(DISTINCT r ORDER BY r) FROM unnest(base_reasons || invalidating) AS r)
					WHEN open IS NOT NULL AND old_status <> 'invalidated' THEN old_reasons
					WHEN open IS NOT NULL THEN
						(SELECT array_agg(DISTINCT r ORDER BY r) FROM unnest(base_reasons || open) AS r)
					ELSE base_reasons END AS reasons
			FROM target
		)
		UPDATE votes v SET status = n.status, reasons = n.reasons,
			ingest_status = n.base_status, ingest_reasons = n.base_reasons
		FROM next n
		WHERE v.id = n.id AND v.edition_id = $1 AND (n.status, n.reasons) IS DISTINCT FROM (n.old_status, n.old_reasons)
		RETURNING n.project_id::text, n.old_status, n.status`, edition, caseID)
	deltas := map[string]int64{}
	changed := 0
	var project, from, to string
	_, err := pgx.ForEachRow(rows, []any{&project, &from, &to}, func() error {
		if from == to {
			// Only the reasons changed: another case's kind joined them.
			return nil
		}
		changed++
		switch was, is := voting.Status(from).Counts(), voting.Status(to).Counts(); {
		case was && !is:
			deltas[project]--
		case !was && is:
			deltas[project]++
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("change the status of the votes of case %s: %w", caseID, err)
	}
	for p, n := range deltas {
		if n == 0 {
			delete(deltas, p)
		}
	}
	return changed, deltas, nil
}

// ApplyTally applies to the live tally every adjustment of edition that
// decisions recorded and the live tally has not received yet, oldest
// first, each under its decision's id, and marks each applied. An empty
// edition means every edition. It returns how many it applied; it stops at
// the first that fails, leaving that one and the later ones pending. Without
// a live tally configured it applies nothing.
func (s *Store) ApplyTally(ctx context.Context, edition string) (int, error) {
	if s.live == nil {
		return 0, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT a.decision_id, a.edition_id, d.deltas
		FROM fraud_tally_adjustments a JOIN fraud_decisions d ON d.id = a.decision_id
		WHERE a.applied_at IS NULL AND ($1 = '' OR a.edition_id = $1) ORDER BY a.decision_id`, edition)
	type pending struct {
		id      int64
		edition string
		deltas  map[string]int64
	}
	todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		var raw []byte
		if err := r.Scan(&p.id, &p.edition, &raw); err != nil {
			return p, err
		}
		return p, json.Unmarshal(raw, &p.deltas)
	})
	if err != nil {
		return 0, fmt.Errorf("read pending tally adjustments: %w", database.Translate(err))
	}
	for i, p := range todo {
		if err := s.live.AdjustTally(ctx, p.edition, "decision-"+strconv.FormatInt(p.id, 10), p.deltas); err != nil {
			return i, fmt.Errorf("apply tally adjustment of decision %d: %w", p.id, err)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE fraud_tally_adjustments SET applied_at = $2 WHERE decision_id = $1 AND applied_at IS NULL`,
			p.id, s.now()); err != nil {
			return i, fmt.Errorf("mark tally adjustment of decision %d applied: %w", p.id, database.Translate(err))
		}
	}
	return len(todo), nil
}

// PendingTally returns how many decisions of edition have adjustments the
// live tally has not received yet, and the sum of their deltas by project:
// what the live counters lack compared with the ledger.
func (s *Store) PendingTally(ctx context.Context, edition string) (int, map[string]int64, error) {
	rows, _ := s.pool.Query(ctx, `SELECT d.deltas FROM fraud_tally_adjustments a JOIN fraud_decisions d ON d.id = a.decision_id
		WHERE a.applied_at IS NULL AND a.edition_id = $1`, edition)
	sum := map[string]int64{}
	n := 0
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
		var deltas map[string]int64
		if err := json.Unmarshal(raw, &deltas); err != nil {
			return err
		}
		n++
		for p, d := range deltas {
			sum[p] += d
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("read pending tally adjustments of %q: %w", edition, database.Translate(err))
	}
	return n, sum, nil
}
