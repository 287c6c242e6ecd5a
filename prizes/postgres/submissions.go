package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// submissionColumns are the projects columns a prizes.Submission is read from.
const submissionColumns = `id::text, edition_id, coalesce(owner_id, 0), category_code, title, summary, organisation,
	country, stakeholder, links, status, status_reason, created_at, updated_at, submitted_at`

func scanSubmission(r pgx.CollectableRow) (prizes.Submission, error) {
	var s prizes.Submission
	var status string
	var submitted *time.Time
	err := r.Scan(&s.ID, &s.Edition, &s.OwnerID, &s.Category, &s.Title, &s.Summary, &s.Organisation,
		&s.Country, &s.Stakeholder, &s.Links, &status, &s.Reason, &s.CreatedAt, &s.UpdatedAt, &submitted)
	s.Status = prizes.Status(status)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if submitted != nil {
		s.SubmittedAt = submitted.UTC()
	}
	if s.Links == nil {
		s.Links = []string{}
	}
	return s, err
}

// ownSubmission reads one of the owner's entries, locked when lock is set.
// Another owner's entry is answered exactly like one that does not exist.
func ownSubmission(ctx context.Context, q querier, owner int64, edition, id string, lock bool) (prizes.Submission, error) {
	pid, err := projectUUID(id)
	if err != nil {
		return prizes.Submission{}, err
	}
	sql := `SELECT ` + submissionColumns + ` FROM projects WHERE id = $1 AND edition_id = $2 AND owner_id = $3`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, _ := q.Query(ctx, sql, pid, edition, owner)
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubmission)
	if errors.Is(err, pgx.ErrNoRows) {
		return prizes.Submission{}, fmt.Errorf("entry %q: %w", id, voting.ErrUnknownProject)
	}
	return sub, err
}

// entryError turns the constraint violations an entry can hit into the
// lifecycle's vocabulary.
func entryError(err error, e prizes.Entry) error {
	switch {
	case constraintOf(err, codeUniqueViolation) == "projects_one_per_organisation":
		return fmt.Errorf("%q in %s: %w", e.Organisation, e.Category, prizes.ErrDuplicateEntry)
	case constraintOf(err, codeForeignKeyViolation) == "projects_owner_id_fkey":
		return fmt.Errorf("the token's account does not exist: %w", kind.ErrUnauthenticated)
	}
	return err
}

// CreateSubmission creates a draft entry owned by actor. A draft is checked
// for form only. It returns prizes.FieldErrors, prizes.ErrDuplicateEntry, or
// a *prizes.PhaseError outside the submission phase.
func (s *Store) CreateSubmission(ctx context.Context, actor prizes.Actor, edition string, e prizes.Entry) (prizes.Submission, error) {
	e = e.Normalised()
	var out prizes.Submission
	err := s.edit(ctx, actor, edition, prizes.ActionCreateEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if err := e.Check(ed, false); err != nil {
			return nil, err
		}
		pid, err := projectUUID(s.newID())
		if err != nil {
			return nil, err
		}
		rows, _ := tx.Query(ctx, `INSERT INTO projects (id, edition_id, category_code, title, organisation, country, status,
				owner_id, summary, stakeholder, links, org_key)
			VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $11)
			RETURNING `+submissionColumns,
			pid, ed.ID, e.Category, e.Title, e.Organisation, e.Country, actor.ID, e.Summary, e.Stakeholder, e.Links,
			prizes.OrganisationKey(e.Organisation))
		out, err = pgx.CollectExactlyOneRow(rows, scanSubmission)
		return nil, entryError(err, e)
	})
	if err != nil {
		return prizes.Submission{}, fmt.Errorf("create entry in %q: %w", edition, err)
	}
	return out, nil
}

// UpdateSubmission replaces the content of one of actor's entries. A
// submitted entry stays submitted and must stay complete. It returns
// voting.ErrUnknownProject for an entry that is not the owner's,
// prizes.ErrFinal once the entry was reviewed or withdrawn,
// prizes.FieldErrors, prizes.ErrDuplicateEntry, or a *prizes.PhaseError.
func (s *Store) UpdateSubmission(ctx context.Context, actor prizes.Actor, edition, id string, e prizes.Entry) (prizes.Submission, error) {
	e = e.Normalised()
	var out prizes.Submission
	err := s.edit(ctx, actor, edition, prizes.ActionEditEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		cur, err := ownSubmission(ctx, tx, actor.ID, ed.ID, id, true)
		if err != nil {
			return nil, err
		}
		if !cur.Editable() {
			return nil, fmt.Errorf("entry %s is %s: %w", id, cur.Status, prizes.ErrFinal)
		}
		if err := e.Check(ed, cur.Status == prizes.StatusSubmitted); err != nil {
			return nil, err
		}
		rows, _ := tx.Query(ctx, `UPDATE projects SET category_code = $2, title = $3, organisation = $4, country = $5,
				summary = $6, stakeholder = $7, links = $8, org_key = $9, updated_at = now()
			WHERE id = $1 RETURNING `+submissionColumns,
			cur.ID, e.Category, e.Title, e.Organisation, e.Country, e.Summary, e.Stakeholder, e.Links, prizes.OrganisationKey(e.Organisation))
		out, err = pgx.CollectExactlyOneRow(rows, scanSubmission)
		return nil, entryError(err, e)
	})
	if err != nil {
		return prizes.Submission{}, fmt.Errorf("edit entry %q: %w", id, err)
	}
	return out, nil
}

// SubmitSubmission submits a draft, which must then be complete. Submitting
// a submitted entry again changes nothing. It returns prizes.FieldErrors for
// what is missing, voting.ErrUnknownProject, prizes.ErrFinal or a
// *prizes.PhaseError.
func (s *Store) SubmitSubmission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error) {
	var out prizes.Submission
	err := s.edit(ctx, actor, edition, prizes.ActionSubmitEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		cur, err := ownSubmission(ctx, tx, actor.ID, ed.ID, id, true)
		if err != nil {
			return nil, err
		}
		switch cur.Status {
		case prizes.StatusSubmitted:
			out = cur
			return nil, nil
		case prizes.StatusDraft:
		default:
			return nil, fmt.Errorf("entry %s is %s: %w", id, cur.Status, prizes.ErrFinal)
		}
		if err := cur.Entry.Check(ed, true); err != nil {
			return nil, err
		}
		rows, _ := tx.Query(ctx, `UPDATE projects SET status = 'submitted', submitted_at = $2, updated_at = now()
			WHERE id = $1 RETURNING `+submissionColumns, cur.ID, s.now())
		if out, err = pgx.CollectExactlyOneRow(rows, scanSubmission); err != nil {
			return nil, err
		}
		if err := enqueue(ctx, tx, submittedMail(ed, out)); err != nil {
			return nil, err
		}
		return &change{subject: cur.ID, details: map[string]any{"category": cur.Category, "organisation": cur.Organisation}}, nil
	})
	if err != nil {
		return prizes.Submission{}, fmt.Errorf("submit entry %q: %w", id, err)
	}
	return out, nil
}

// WithdrawSubmission withdraws a draft or submitted entry, which frees its
// organisation's place in the category. It returns voting.ErrUnknownProject,
// prizes.ErrFinal once the entry was reviewed, or a *prizes.PhaseError.
func (s *Store) WithdrawSubmission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error) {
	var out prizes.Submission
	err := s.edit(ctx, actor, edition, prizes.ActionWithdrawEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		cur, err := ownSubmission(ctx, tx, actor.ID, ed.ID, id, true)
		if err != nil {
			return nil, err
		}
		if !cur.Editable() {
			return nil, fmt.Errorf("entry %s is %s: %w", id, cur.Status, prizes.ErrFinal)
		}
		rows, _ := tx.Query(ctx, `UPDATE projects SET status = 'withdrawn', updated_at = now()
			WHERE id = $1 RETURNING `+submissionColumns, cur.ID)
		if out, err = pgx.CollectExactlyOneRow(rows, scanSubmission); err != nil {
			return nil, err
		}
		return &change{subject: cur.ID, details: map[string]any{"was": cur.Status}}, nil
	})
	if err != nil {
		return prizes.Submission{}, fmt.Errorf("withdraw entry %q: %w", id, err)
	}
	return out, nil
}

// Submission returns one of actor's entries, in any phase. Another owner's
// entry gives voting.ErrUnknownProject, as a missing one does.
func (s *Store) Submission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error) {
	if _, err := loadEdition(ctx, s.pool, edition, false); err != nil {
		return prizes.Submission{}, fmt.Errorf("read entry: %w", database.Translate(err))
	}
	sub, err := ownSubmission(ctx, s.pool, actor.ID, edition, id, false)
	if err != nil {
		return prizes.Submission{}, fmt.Errorf("read entry: %w", database.Translate(err))
	}
	return sub, nil
}

// Submissions returns every entry of actor's in an edition, in any phase.
func (s *Store) Submissions(ctx context.Context, actor prizes.Actor, edition string) ([]prizes.Submission, error) {
	if _, err := loadEdition(ctx, s.pool, edition, false); err != nil {
		return nil, fmt.Errorf("list entries: %w", database.Translate(err))
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM projects
		WHERE edition_id = $1 AND owner_id = $2 ORDER BY created_at, id`, edition, actor.ID)
	out, err := pgx.CollectRows(rows, scanSubmission)
	if err != nil {
		return nil, fmt.Errorf("list entries in %q: %w", edition, database.Translate(err))
	}
	return out, nil
}
