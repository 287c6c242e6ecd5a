package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// Assign puts a juror on a category's panel; assigning twice changes
// nothing. It returns prizes.FieldErrors for an unknown category or account,
// or a *prizes.PhaseError once the edition is published.
func (s *Store) Assign(ctx context.Context, actor prizes.Actor, edition string, juror int64, category string) error {
	err := s.edit(ctx, actor, edition, prizes.ActionAssignJuror, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if _, ok := ed.Category(category); !ok {
			return nil, prizes.FieldErrors{"category": fmt.Sprintf("edition %s has no category %q", ed.ID, category)}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO jury_assignments (edition_id, juror_id, category_code, assigned_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, ed.ID, juror, category, s.now())
		if constraintOf(err, codeForeignKeyViolation) == "jury_assignments_juror_id_fkey" {
			return nil, prizes.FieldErrors{"juror_id": "no account has this id"}
		}
		if err != nil || tag.RowsAffected() == 0 {
			return nil, err
		}
		if err := enqueue(ctx, tx, assignedMail(ed, juror, category)); err != nil {
			return nil, err
		}
		return &change{subject: fmt.Sprintf("%d/%s", juror, category), details: map[string]any{"juror_id": juror, "category": category}}, nil
	})
	if err != nil {
		return fmt.Errorf("assign juror %d to %q: %w", juror, category, err)
	}
	return nil
}

// Unassign takes a juror off a category's panel. It returns
// prizes.ErrNotAssigned when the juror is not on it, or a *prizes.PhaseError
// once the jury phase has begun.
func (s *Store) Unassign(ctx context.Context, actor prizes.Actor, edition string, juror int64, category string) error {
	err := s.edit(ctx, actor, edition, prizes.ActionUnassignJuror, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM jury_assignments WHERE edition_id = $1 AND juror_id = $2 AND category_code = $3`,
			ed.ID, juror, category)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return nil, fmt.Errorf("juror %d, category %q: %w", juror, category, prizes.ErrNotAssigned)
		}
		return &change{subject: fmt.Sprintf("%d/%s", juror, category), details: map[string]any{"juror_id": juror, "category": category}}, nil
	})
	if err != nil {
		return fmt.Errorf("unassign juror %d from %q: %w", juror, category, err)
	}
	return nil
}

// Assignments returns every panel of an edition.
func (s *Store) Assignments(ctx context.Context, edition string) ([]prizes.Assignment, error) {
	if _, err := loadEdition(ctx, s.pool, edition, false); err != nil {
		return nil, fmt.Errorf("list jury assignments: %w", database.Translate(err))
	}
	out, err := assignments(ctx, s.pool, edition, 0)
	if err != nil {
		return nil, fmt.Errorf("list jury assignments of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// assignments lists an edition's panels, one juror's when juror is not 0.
func assignments(ctx context.Context, q querier, edition string, juror int64) ([]prizes.Assignment, error) {
	rows, _ := q.Query(ctx, `SELECT a.juror_id, a.category_code, a.assigned_at FROM jury_assignments a
		JOIN categories c ON c.edition_id = a.edition_id AND c.code = a.category_code
		WHERE a.edition_id = $1 AND ($2::bigint = 0 OR a.juror_id = $2::bigint) ORDER BY c.position, a.juror_id`, edition, juror)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.Assignment, error) {
		var a prizes.Assignment
		err := r.Scan(&a.JurorID, &a.Category, &a.AssignedAt)
		a.AssignedAt = a.AssignedAt.UTC()
		return a, err
	})
}

func conflicts(ctx context.Context, q querier, edition string, juror int64) ([]prizes.Conflict, error) {
	rows, _ := q.Query(ctx, `SELECT juror_id, project_id::text, reason, declared_at FROM jury_conflicts
		WHERE edition_id = $1 AND ($2::bigint = 0 OR juror_id = $2::bigint) ORDER BY juror_id, project_id`, edition, juror)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.Conflict, error) {
		var c prizes.Conflict
		err := r.Scan(&c.JurorID, &c.ProjectID, &c.Reason, &c.DeclaredAt)
		c.DeclaredAt = c.DeclaredAt.UTC()
		return c, err
	})
}

// scorecards lists an edition's scorecards, one juror's when juror is not 0,
// only submitted ones when submitted is set.
func scorecards(ctx context.Context, q querier, edition string, juror int64, submitted bool) ([]prizes.Scorecard, error) {
	rows, _ := q.Query(ctx, `SELECT j.juror_id, j.project_id::text, p.category_code, j.scores, j.comment, j.updated_at, j.submitted_at
		FROM jury_scores j JOIN projects p ON p.id = j.project_id
		WHERE j.edition_id = $1 AND ($2::bigint = 0 OR j.juror_id = $2::bigint) AND (NOT $3 OR j.submitted_at IS NOT NULL)
		ORDER BY j.project_id, j.juror_id`, edition, juror, submitted)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.Scorecard, error) {
		var c prizes.Scorecard
		var raw []byte
		var sub *time.Time
		if err := r.Scan(&c.JurorID, &c.ProjectID, &c.Category, &raw, &c.Comment, &c.UpdatedAt, &sub); err != nil {
			return c, err
		}
		c.UpdatedAt = c.UpdatedAt.UTC()
		if sub != nil {
			c.SubmittedAt = sub.UTC()
		}
		return c, json.Unmarshal(raw, &c.Scores)
	})
}

// jurorProject checks that juror may act on project: it is in a category
// on the juror's panel and has one of the statuses. It returns the project's
// category, or prizes.ErrNotAssigned, answered like a missing project.
func jurorProject(ctx context.Context, q querier, edition string, juror int64, project string, statuses []string) (uuid.UUID, string, error) {
	pid, err := projectUUID(project)
	if err != nil {
		return uuid.UUID{}, "", err
	}
	var category string
	err = q.QueryRow(ctx, `SELECT p.category_code FROM projects p
		JOIN jury_assignments a ON a.edition_id = p.edition_id AND a.category_code = p.category_code AND a.juror_id = $3
		WHERE p.id = $1 AND p.edition_id = $2 AND p.status = ANY($4)`, pid, edition, juror, statuses).Scan(&category)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.UUID{}, "", fmt.Errorf("project %q: %w", project, prizes.ErrNotAssigned)
	}
	return pid, category, err
}

// DeclareConflict records the juror's conflict of interest with a project of
// their panel. The juror's scorecard for it, if any, is withdrawn: a
// conflicted juror's scores never count. A conflict declared before stands
// as it was first declared: it is returned, with created false, and nothing
// is stored or audited. It returns prizes.FieldErrors without a reason,
// prizes.ErrNotAssigned, or a *prizes.PhaseError.
func (s *Store) DeclareConflict(ctx context.Context, actor prizes.Actor, edition, project, reason string) (c prizes.Conflict, created bool, err error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 2000 {
		return prizes.Conflict{}, false, fmt.Errorf("declare conflict: %w", prizes.FieldErrors{"reason": "must be 1 to 2000 characters"})
	}
	var out prizes.Conflict
	err = s.edit(ctx, actor, edition, prizes.ActionDeclareConflict, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		pid, _, err := jurorProject(ctx, tx, ed.ID, actor.ID, project, []string{"nominated", "champion", "winner"})
		if err != nil {
			return nil, err
		}
		out = prizes.Conflict{JurorID: actor.ID, ProjectID: pid.String(), Reason: reason, DeclaredAt: s.now().UTC().Truncate(time.Microsecond)}
		tag, err := tx.Exec(ctx, `INSERT INTO jury_conflicts (edition_id, juror_id, project_id, reason, declared_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, ed.ID, actor.ID, pid, reason, out.DeclaredAt)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			// The edition's row lock, held since edit began, keeps the
			// first declaration from going away meanwhile.
			err := tx.QueryRow(ctx, `SELECT reason, declared_at FROM jury_conflicts WHERE edition_id = $1 AND juror_id = $2 AND project_id = $3`,
				ed.ID, actor.ID, pid).Scan(&out.Reason, &out.DeclaredAt)
			out.DeclaredAt = out.DeclaredAt.UTC()
			return nil, err
		}
		created = true
		dropped, err := tx.Exec(ctx, `DELETE FROM jury_scores WHERE edition_id = $1 AND juror_id = $2 AND project_id = $3`, ed.ID, actor.ID, pid)
		if err != nil {
			return nil, err
		}
		return &change{subject: pid.String(), details: map[string]any{"reason": reason, "scorecard_withdrawn": dropped.RowsAffected() > 0}}, nil
	})
	if err != nil {
		return prizes.Conflict{}, false, fmt.Errorf("declare conflict with %q: %w", project, err)
	}
	return out, created, nil
}

// checkScorable loads what a juror may score: a Champion of their panel
// they have no conflict with and no submitted scorecard for.
func checkScorable(ctx context.Context, tx pgx.Tx, edition string, juror int64, project string) (uuid.UUID, string, *prizes.Scorecard, error) {
	pid, category, err := jurorProject(ctx, tx, edition, juror, project, []string{"champion"})
	if err != nil {
		return pid, "", nil, err
	}
	var conflicted bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jury_conflicts WHERE edition_id = $1 AND juror_id = $2 AND project_id = $3)`,
		edition, juror, pid).Scan(&conflicted); err != nil {
		return pid, "", nil, err
	}
	if conflicted {
		return pid, "", nil, fmt.Errorf("project %s: %w", pid, prizes.ErrConflictOfInterest)
	}
	cards, err := scorecardFor(ctx, tx, edition, juror, pid)
	if err != nil {
		return pid, "", nil, err
	}
	if cards != nil && cards.Submitted() {
		return pid, "", nil, fmt.Errorf("scorecard for %s was submitted: %w", pid, prizes.ErrFinal)
	}
	return pid, category, cards, nil
}

func scorecardFor(ctx context.Context, tx pgx.Tx, edition string, juror int64, pid uuid.UUID) (*prizes.Scorecard, error) {
	rows, _ := tx.Query(ctx, `SELECT j.juror_id, j.project_id::text, p.category_code, j.scores, j.comment, j.updated_at, j.submitted_at
		FROM jury_scores j JOIN projects p ON p.id = j.project_id
		WHERE j.edition_id = $1 AND j.juror_id = $2 AND j.project_id = $3 FOR UPDATE OF j`, edition, juror, pid)
	c, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (prizes.Scorecard, error) {
		var c prizes.Scorecard
		var raw []byte
		var sub *time.Time
		if err := r.Scan(&c.JurorID, &c.ProjectID, &c.Category, &raw, &c.Comment, &c.UpdatedAt, &sub); err != nil {
			return c, err
		}
		if sub != nil {
			c.SubmittedAt = sub.UTC()
		}
		c.UpdatedAt = c.UpdatedAt.UTC()
		return c, json.Unmarshal(raw, &c.Scores)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &c, err
}

// SaveScores saves the juror's draft scorecard for a Champion, replacing the
// previous draft; scores may be partial. It returns prizes.FieldErrors,
// prizes.ErrNotAssigned, prizes.ErrConflictOfInterest, prizes.ErrFinal once
// submitted, or a *prizes.PhaseError outside the jury phase.
func (s *Store) SaveScores(ctx context.Context, actor prizes.Actor, edition, project string, d prizes.ScoreDraft) (prizes.Scorecard, error) {
	var out prizes.Scorecard
	err := s.edit(ctx, actor, edition, prizes.ActionSaveScores, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if err := ed.Rules.CheckScores(d.Scores, d.Comment, false); err != nil {
			return nil, err
		}
		pid, category, _, err := checkScorable(ctx, tx, ed.ID, actor.ID, project)
		if err != nil {
			return nil, err
		}
		scores := d.Scores
		if scores == nil {
			scores = map[string]int{}
		}
		raw, err := json.Marshal(scores)
		if err != nil {
			return nil, err
		}
		out = prizes.Scorecard{JurorID: actor.ID, ProjectID: pid.String(), Category: category, Scores: scores,
			Comment: d.Comment, UpdatedAt: s.now().UTC().Truncate(time.Microsecond)}
		if _, err := tx.Exec(ctx, `INSERT INTO jury_scores (edition_id, juror_id, project_id, scores, comment, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (edition_id, juror_id, project_id) DO UPDATE
			SET scores = excluded.scores, comment = excluded.comment, updated_at = excluded.updated_at`,
			ed.ID, actor.ID, pid, raw, d.Comment, out.UpdatedAt); err != nil {
			return nil, err
		}
		return &change{subject: pid.String(), details: map[string]any{"scores": scores, "comment": d.Comment}}, nil
	})
	if err != nil {
		return prizes.Scorecard{}, fmt.Errorf("save scores for %q: %w", project, err)
	}
	return out, nil
}

// SubmitScores makes the juror's saved scorecard for a Champion final; it
// must score every criterion. It returns prizes.FieldErrors,
// prizes.ErrNotAssigned, prizes.ErrConflictOfInterest, prizes.ErrFinal, or a
// *prizes.PhaseError outside the jury phase.
func (s *Store) SubmitScores(ctx context.Context, actor prizes.Actor, edition, project string) (prizes.Scorecard, error) {
	var out prizes.Scorecard
	err := s.edit(ctx, actor, edition, prizes.ActionSubmitScores, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		pid, _, card, err := checkScorable(ctx, tx, ed.ID, actor.ID, project)
		if err != nil {
			return nil, err
		}
		if card == nil {
			return nil, prizes.FieldErrors{"scores": "nothing is saved yet; save the scores first"}
		}
		if err := ed.Rules.CheckScores(card.Scores, card.Comment, true); err != nil {
			return nil, err
		}
		card.SubmittedAt = s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE jury_scores SET submitted_at = $4 WHERE edition_id = $1 AND juror_id = $2 AND project_id = $3`,
			ed.ID, actor.ID, pid, card.SubmittedAt); err != nil {
			return nil, err
		}
		out = *card
		return &change{subject: pid.String(), details: map[string]any{"scores": card.Scores}}, nil
	})
	if err != nil {
		return prizes.Scorecard{}, fmt.Errorf("submit scores for %q: %w", project, err)
	}
	return out, nil
}

// JurorView returns what a juror may see of an edition: their categories,
// the nominees in them (the Champions once the jury phase opens), and their
// own conflicts and scorecards. No phase is refused.
func (s *Store) JurorView(ctx context.Context, actor prizes.Actor, edition string) (prizes.JurorView, error) {
	ed, err := loadEdition(ctx, s.pool, edition, false)
	if err != nil {
		return prizes.JurorView{}, fmt.Errorf("read juror view: %w", database.Translate(err))
	}
	v, err := s.jurorView(ctx, actor.ID, ed)
	if err != nil {
		return prizes.JurorView{}, fmt.Errorf("read juror view of %q: %w", edition, database.Translate(err))
	}
	return v, nil
}

func (s *Store) jurorView(ctx context.Context, juror int64, ed prizes.Edition) (prizes.JurorView, error) {
	v := prizes.JurorView{Edition: ed.ID, Phase: string(ed.Phase), Rubric: ed.Rules.Rubric, Categories: []prizes.JurorCategory{}}
	as, err := assignments(ctx, s.pool, ed.ID, juror)
	if err != nil {
		return v, err
	}
	var statuses []string
	switch ed.Phase {
	case voting.PhaseVoting, voting.PhaseCounting:
		statuses = []string{"nominated", "champion", "winner"}
	case voting.PhaseJury, voting.PhasePublished:
		statuses = []string{"champion", "winner"}
	}
	cs, err := conflicts(ctx, s.pool, ed.ID, juror)
	if err != nil {
		return v, err
	}
	cards, err := scorecards(ctx, s.pool, ed.ID, juror, false)
	if err != nil {
		return v, err
	}
	for _, a := range as {
		cat, _ := ed.Category(a.Category)
		jc := prizes.JurorCategory{Code: cat.Code, Name: cat.Name, Projects: []prizes.JurorProject{}}
		if statuses != nil {
			rows, _ := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM projects
				WHERE edition_id = $1 AND category_code = $2 AND status = ANY($3) ORDER BY title, id`, ed.ID, cat.Code, statuses)
			subs, err := pgx.CollectRows(rows, scanSubmission)
			if err != nil {
				return v, err
			}
			for _, sub := range subs {
				jp := prizes.JurorProject{Submission: sub}
				for i := range cs {
					if cs[i].ProjectID == sub.ID {
						jp.Conflict = &cs[i]
					}
				}
				for i := range cards {
					if cards[i].ProjectID == sub.ID {
						jp.Scorecard = &cards[i]
					}
				}
				jc.Projects = append(jc.Projects, jp)
			}
		}
		v.Categories = append(v.Categories, jc)
	}
	return v, nil
}

// JuryReport returns the organisers' view of the jury: each panel's
// progress and the provisional results over the scorecards submitted so far,
// with the sensitivity report. It returns a *prizes.PhaseError before the
// jury phase.
func (s *Store) JuryReport(ctx context.Context, edition string) (prizes.JuryReport, error) {
	ed, err := s.read(ctx, edition, prizes.ActionJuryReport)
	if err != nil {
		return prizes.JuryReport{}, fmt.Errorf("read jury report: %w", err)
	}
	var rep prizes.JuryReport
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rep, err = juryReport(ctx, tx, ed)
		return err
	})
	if err != nil {
		return prizes.JuryReport{}, fmt.Errorf("read jury report of %q: %w", edition, database.Translate(err))
	}
	return rep, nil
}

// juryReport builds ed's jury report from what q reads.
func juryReport(ctx context.Context, q querier, ed prizes.Edition) (prizes.JuryReport, error) {
	champions, err := championResult(ctx, q, ed.ID)
	if err != nil {
		return prizes.JuryReport{}, err
	}
	as, err := assignments(ctx, q, ed.ID, 0)
	if err != nil {
		return prizes.JuryReport{}, err
	}
	cs, err := conflicts(ctx, q, ed.ID, 0)
	if err != nil {
		return prizes.JuryReport{}, err
	}
	cards, err := scorecards(ctx, q, ed.ID, 0, false)
	if err != nil {
		return prizes.JuryReport{}, err
	}
	decisions, err := tieDecisions(ctx, q, ed.ID)
	if err != nil {
		return prizes.JuryReport{}, err
	}
	return prizes.BuildJuryReport(ed, alignCategories(ed, champions), as, cs, cards, decisions), nil
}

// alignCategories orders a stored Champion result by the edition's
// categories, with an empty result for any category it lacks, which is what
// BuildJuryReport expects.
func alignCategories(ed prizes.Edition, cats []prizes.CategoryChampions) []prizes.CategoryChampions {
	byCode := map[string]prizes.CategoryChampions{}
	for _, c := range cats {
		byCode[c.Category] = c
	}
	out := make([]prizes.CategoryChampions, len(ed.Categories))
	for i, c := range ed.Categories {
		cc, ok := byCode[c.Code]
		if !ok {
			cc = prizes.CategoryChampions{Category: c.Code, Name: c.Name, Places: ed.Rules.ChampionsPerCategory, Nominees: []prizes.NomineeStanding{}}
		}
		out[i] = cc
	}
	return out
}
