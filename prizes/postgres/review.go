package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// ReviewQueue returns a category's entries that were submitted, nominated or
// rejected, oldest submission first, with the nomination cap. It returns
// voting.ErrUnknownCategory, or a *prizes.PhaseError outside the submission
// and review phases.
func (s *Store) ReviewQueue(ctx context.Context, edition, category string) (prizes.ReviewQueue, error) {
	ed, err := s.read(ctx, edition, prizes.ActionReviewQueue)
	if err != nil {
		return prizes.ReviewQueue{}, fmt.Errorf("read review queue: %w", err)
	}
	if err := prizes.CheckCategory(ed, category); err != nil {
		return prizes.ReviewQueue{}, fmt.Errorf("read review queue: %w", err)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM projects
		WHERE edition_id = $1 AND category_code = $2 AND status IN ('submitted', 'nominated', 'rejected')
		ORDER BY submitted_at, id`, ed.ID, category)
	entries, err := pgx.CollectRows(rows, scanSubmission)
	if err != nil {
		return prizes.ReviewQueue{}, fmt.Errorf("read review queue of %q: %w", category, database.Translate(err))
	}
	q := prizes.ReviewQueue{Category: category, Cap: ed.Rules.NomineesPerCategory, Entries: entries}
	for _, e := range entries {
		if e.Status == prizes.StatusNominated {
			q.Nominated++
		}
	}
	return q, nil
}

// Review applies a batch of nominate and reject decisions, all or none: a
// decision may change an earlier one while review lasts, and no category may
// end above its cap. It returns prizes.FieldErrors (a draft or withdrawn
// entry, a rejection without a reason), voting.ErrUnknownProject,
// prizes.ErrCapReached, or a *prizes.PhaseError outside the review phase.
func (s *Store) Review(ctx context.Context, actor prizes.Actor, edition string, ds []prizes.ReviewDecision) ([]prizes.Submission, error) {
	if err := prizes.CheckDecisions(ds); err != nil {
		return nil, fmt.Errorf("review entries: %w", err)
	}
	ids := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		pid, err := projectUUID(d.ProjectID)
		if err != nil {
			return nil, fmt.Errorf("review entries: %w", err)
		}
		ids[i] = pid
	}
	var out []prizes.Submission
	err := s.edit(ctx, actor, edition, prizes.ActionReview, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		rows, _ := tx.Query(ctx, `SELECT `+submissionColumns+` FROM projects
			WHERE edition_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, ed.ID, ids)
		found, err := pgx.CollectRows(rows, scanSubmission)
		if err != nil {
			return nil, err
		}
		byID := map[string]prizes.Submission{}
		for _, f := range found {
			byID[f.ID] = f
		}
		f := prizes.FieldErrors{}
		touched := map[string]bool{}
		decided := make([]prizes.Submission, len(ds))
		for i, d := range ds {
			cur, ok := byID[ids[i].String()]
			if !ok {
				return nil, fmt.Errorf("entry %q: %w", d.ProjectID, voting.ErrUnknownProject)
			}
			decided[i] = cur
			switch cur.Status {
			case prizes.StatusSubmitted, prizes.StatusNominated, prizes.StatusRejected:
			default:
				f[fmt.Sprintf("decisions[%d].project_id", i)] = fmt.Sprintf("entry is %s; only submitted entries are reviewed", cur.Status)
			}
			touched[cur.Category] = true
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		// The cap is checked on the outcome: nominations in the touched
		// categories after this batch.
		nominated := map[string]int{}
		rows, _ = tx.Query(ctx, `SELECT category_code, count(*) FROM projects
			WHERE edition_id = $1 AND category_code = ANY($2) AND status = 'nominated' GROUP BY 1`,
			ed.ID, slices.Collect(maps.Keys(touched)))
		var cat string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&cat, &n}, func() error { nominated[cat] = n; return nil }); err != nil {
			return nil, err
		}
		if err := prizes.CheckNominationCap(ed.Rules.NomineesPerCategory, nominated, decided, ds); err != nil {
			return nil, err
		}
		b := &pgx.Batch{}
		for i, d := range ds {
			status, reason := prizes.StatusNominated, ""
			if d.Decision == prizes.DecisionReject {
				status, reason = prizes.StatusRejected, strings.TrimSpace(d.Reason)
			}
			b.Queue(`UPDATE projects SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1
				RETURNING `+submissionColumns, ids[i], string(status), reason).Query(func(rows pgx.Rows) error {
				sub, err := pgx.CollectExactlyOneRow(rows, scanSubmission)
				out = append(out, sub)
				return err
			})
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		// Owners hear of a decision that changed their entry's status.
		id, err := txid(ctx, tx)
		if err != nil {
			return nil, err
		}
		var ms []mail
		for i, sub := range out {
			if sub.Status != decided[i].Status && sub.OwnerID != 0 {
				ms = append(ms, reviewMail(ed, sub, id))
			}
		}
		if err := enqueue(ctx, tx, ms...); err != nil {
			return nil, err
		}
		return &change{subject: "review", details: map[string]any{"decisions": ds}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("review entries in %q: %w", edition, err)
	}
	return out, nil
}
