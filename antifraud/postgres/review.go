package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
)

// caseColumns are a case's columns with its votes counted by status in the
// ledger, from fraud_cases c.
const caseColumns = `c.id, c.kind, c.score, c.summary, c.signals, c.timeline, c.accounts, c.projects,
	c.found_at, c.updated_at, c.state,
	(SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (
		SELECT v.status, count(*) AS n FROM fraud_case_votes cv JOIN votes v ON v.id = cv.vote_id AND v.edition_id = cv.edition_id
		WHERE cv.edition_id = c.edition_id AND cv.case_id = c.id GROUP BY v.status) s)`

func scanCase(r pgx.Row, edition string) (antifraud.CaseFile, error) {
	cf := antifraud.CaseFile{Edition: edition}
	var signals, timeline, statuses []byte
	var state string
	if err := r.Scan(&cf.ID, &cf.Kind, &cf.Score, &cf.Summary, &signals, &timeline, &cf.Accounts, &cf.Projects,
		&cf.FoundAt, &cf.UpdatedAt, &state, &statuses); err != nil {
		return cf, err
	}
	cf.State = antifraud.CaseState(state)
	cf.FoundAt, cf.UpdatedAt = cf.FoundAt.UTC(), cf.UpdatedAt.UTC()
	if err := json.Unmarshal(signals, &cf.Signals); err != nil {
		return cf, fmt.Errorf("case %s: signals: %w", cf.ID, err)
	}
	if err := json.Unmarshal(timeline, &cf.Timeline); err != nil {
		return cf, fmt.Errorf("case %s: timeline: %w", cf.ID, err)
	}
	for i := range cf.Timeline {
		cf.Timeline[i].At = cf.Timeline[i].At.UTC()
	}
	if err := json.Unmarshal(statuses, &cf.Statuses); err != nil {
		return cf, fmt.Errorf("case %s: statuses: %w", cf.ID, err)
	}
	return cf, nil
}

// Cases lists the cases of an edition, open ones first, then by score and
// id, without their votes (Statuses counts them), and every project with
// invalidated votes, those whose support is mostly invalidated flagged for
// a disqualification decision. Any phase may read them. It returns
// voting.ErrUnknownEdition for no edition.
func (s *Store) Cases(ctx context.Context, edition string) (antifraud.CaseList, error) {
	op := fmt.Sprintf("list fraud cases of %q", edition)
	if err := s.editionExists(ctx, edition); err != nil {
		return antifraud.CaseList{}, fmt.Errorf("%s: %w", op, err)
	}
	l := antifraud.CaseList{Edition: edition, Cases: []antifraud.CaseFile{}, Projects: []antifraud.ProjectReview{}}
	rows, _ := s.pool.Query(ctx, `SELECT `+caseColumns+` FROM fraud_cases c WHERE c.edition_id = $1
		ORDER BY c.state = 'open' DESC, c.score DESC, c.id`, edition)
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (antifraud.CaseFile, error) { return scanCase(r, edition) })
	if err != nil {
		return antifraud.CaseList{}, fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	l.Cases = append(l.Cases, cases...)
	if l.Projects, err = s.projectReviews(ctx, edition); err != nil {
		return antifraud.CaseList{}, fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	return l, nil
}

// projectReviews returns every project of edition with invalidated votes.
func (s *Store) projectReviews(ctx context.Context, edition string) ([]antifraud.ProjectReview, error) {
	invs, err := s.ledger.Invalidations(ctx, edition, prizes.UnspecifiedReason)
	if err != nil || len(invs) == 0 {
		return []antifraud.ProjectReview{}, err
	}
	ids := make([]string, len(invs))
	for i, inv := range invs {
		ids[i] = inv.ProjectID
	}
	rows, _ := s.pool.Query(ctx, `SELECT project_id::text, min(category_code), count(*) FILTER (WHERE status IN ('counted', 'flagged'))
		FROM votes WHERE edition_id = $1 AND project_id = ANY($2::uuid[]) GROUP BY project_id`, edition, ids)
	type facts struct {
		category string
		counted  int64
	}
	byProject := map[string]facts{}
	var id string
	var f facts
	if _, err := pgx.ForEachRow(rows, []any{&id, &f.category, &f.counted}, func() error {
		byProject[id] = f
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]antifraud.ProjectReview, len(invs))
	for i, inv := range invs {
		f := byProject[inv.ProjectID]
		out[i] = antifraud.ProjectReview{
			ProjectID: inv.ProjectID, Category: f.category, Counted: f.counted, Invalidated: inv.Votes,
			Reasons: inv.Reasons, DisqualificationReview: prizes.MostlyInvalidated(f.counted, inv.Votes),
		}
	}
	return out, nil
}

// Case returns one case with its vote ids, its decisions and the evidence:
// its first antifraud.MaxEvidence votes in cast order with their account
// facts, status and reasons. Any phase may read it. It returns
// antifraud.ErrUnknownCase and voting.ErrUnknownEdition.
func (s *Store) Case(ctx context.Context, edition, id string) (antifraud.CaseFile, error) {
	op := fmt.Sprintf("read fraud case %s of %q", id, edition)
	if err := s.editionExists(ctx, edition); err != nil {
		return antifraud.CaseFile{}, fmt.Errorf("%s: %w", op, err)
	}
	var cf antifraud.CaseFile
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		cf, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+` FROM fraud_cases c WHERE c.edition_id = $1 AND c.id = $2`, edition, id), edition)
		if errors.Is(err, pgx.ErrNoRows) {
			return antifraud.ErrUnknownCase
		}
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT vote_id FROM fraud_case_votes WHERE edition_id = $1 AND case_id = $2 ORDER BY vote_id`, edition, id)
		votes, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		cf.Votes = make([]string, len(votes))
		for i, v := range votes {
			cf.Votes[i] = v.String()
		}
		if cf.Decisions, err = decisions(ctx, tx, edition, id); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT `+exportColumns+`, v.status, v.reasons
			FROM fraud_case_votes cv JOIN `+exportFrom+` ON v.id = cv.vote_id AND v.edition_id = cv.edition_id
			WHERE cv.edition_id = $1 AND cv.case_id = $2 ORDER BY v.cast_at, v.id LIMIT $3`, edition, id, antifraud.MaxEvidence)
		cf.Evidence, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (antifraud.EvidenceVote, error) {
			var e antifraud.EvidenceVote
			err := scanExport(r, &e.Vote, &e.Status, &e.Reasons)
			return e, err
		})
		return err
	})
	if errors.Is(err, antifraud.ErrUnknownCase) {
		return antifraud.CaseFile{}, fmt.Errorf("%s: %w", op, antifraud.ErrUnknownCase)
	}
	if err != nil {
		return antifraud.CaseFile{}, fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	return cf, nil
}

// decisions returns the decisions on a case, oldest first.
func decisions(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, edition, caseID string) ([]antifraud.Decision, error) {
	rows, _ := q.Query(ctx, `SELECT id, case_id, decision, reason, decided_by, decided_at, votes, deltas
		FROM fraud_decisions WHERE edition_id = $1 AND case_id = $2 ORDER BY id`, edition, caseID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (antifraud.Decision, error) {
		var d antifraud.Decision
		var deltas []byte
		if err := r.Scan(&d.ID, &d.Case, &d.Decision, &d.Reason, &d.DecidedBy, &d.DecidedAt, &d.Votes, &deltas); err != nil {
			return d, err
		}
		d.DecidedAt = d.DecidedAt.UTC()
		return d, json.Unmarshal(deltas, &d.Deltas)
	})
}
