package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// nominees returns every nominated project of the edition with its counted
// votes from the ledger, under the edition's complete-ballot rule, and its
// votes invalidated by fraud review with their reason codes.
func (s *Store) nominees(ctx context.Context, q querier, ed prizes.Edition) ([]prizes.Nominee, error) {
	tallies, err := s.ledger.Tallies(ctx, ed.ID, ed.Rules.CompleteBallot)
	if err != nil {
		return nil, err
	}
	invs, err := s.ledger.Invalidations(ctx, ed.ID, prizes.UnspecifiedReason)
	if err != nil {
		return nil, err
	}
	invalidated := make(map[string]voting.Invalidation, len(invs))
	for _, inv := range invs {
		invalidated[inv.ProjectID] = inv
	}
	rows, _ := q.Query(ctx, `SELECT id::text, title, organisation, country FROM projects
		WHERE edition_id = $1 AND status IN ('nominated', 'champion', 'winner')`, ed.ID)
	type info struct{ title, org, country string }
	infos := map[string]info{}
	var id string
	var in info
	if _, err := pgx.ForEachRow(rows, []any{&id, &in.title, &in.org, &in.country}, func() error {
		infos[id] = in
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]prizes.Nominee, 0, len(tallies))
	for _, t := range tallies {
		in, ok := infos[t.ProjectID]
		if !ok {
			// Nominated after the tally was read: the edition lock makes
			// that impossible while counting, so it is an inconsistency.
			return nil, fmt.Errorf("project %s is on the ballot but not nominated", t.ProjectID)
		}
		inv := invalidated[t.ProjectID]
		out = append(out, prizes.Nominee{
			ProjectID: t.ProjectID, Category: t.Category, Title: in.title, Organisation: in.org, Country: in.country,
			Votes: t.Votes, VoterCountries: t.VoterCountries, FinalCountAt: t.FinalCountAt,
			Invalidated: inv.Votes, InvalidatedReasons: inv.Reasons,
		})
	}
	return out, nil
}

func tieDecisions(ctx context.Context, q querier, edition string) ([]prizes.TieDecision, error) {
	rows, _ := q.Query(ctx, `SELECT stage, category_code, ordered::text[], reason, decided_by, decided_at
		FROM tie_decisions WHERE edition_id = $1 ORDER BY stage, category_code`, edition)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.TieDecision, error) {
		var d prizes.TieDecision
		var stage string
		err := r.Scan(&stage, &d.Category, &d.Order, &d.Reason, &d.DecidedBy, &d.DecidedAt)
		d.Stage = prizes.Stage(stage)
		d.DecidedAt = d.DecidedAt.UTC()
		return d, err
	})
}

// PreviewChampions computes the Champions from the ledger as it stands,
// without choosing them. It returns a *prizes.PhaseError outside the
// counting phase.
func (s *Store) PreviewChampions(ctx context.Context, edition string) (prizes.ChampionsPreview, error) {
	ed, err := s.read(ctx, edition, prizes.ActionPreviewChampion)
	if err != nil {
		return prizes.ChampionsPreview{}, fmt.Errorf("preview Champions: %w", err)
	}
	nominees, err := s.nominees(ctx, s.pool, ed)
	if err != nil {
		return prizes.ChampionsPreview{}, fmt.Errorf("preview Champions of %q: %w", edition, database.Translate(err))
	}
	decisions, err := tieDecisions(ctx, s.pool, ed.ID)
	if err != nil {
		return prizes.ChampionsPreview{}, fmt.Errorf("preview Champions of %q: %w", edition, database.Translate(err))
	}
	excluded, err := s.ledger.Excluded(ctx, ed.ID)
	if err != nil {
		return prizes.ChampionsPreview{}, fmt.Errorf("preview Champions of %q: %w", edition, err)
	}
	cats, err := prizes.SelectChampions(ed, nominees, decisions)
	p := prizes.ChampionsPreview{Categories: cats, Ties: []prizes.Tie{},
		Window: prizes.NewWindowBounds(ed.VotingWindow()), OutsideWindow: excluded.OutsideWindow}
	var te *prizes.TieError
	if errors.As(err, &te) {
		p.Ties = te.Ties
	} else if err != nil {
		return prizes.ChampionsPreview{}, fmt.Errorf("preview Champions of %q: %w", edition, err)
	}
	return p, nil
}

// checkTie holds d to the tie at its cut as the ranking stands in tx: the
// ledger's counts for a Champion tie, the submitted scores for a Winner tie.
// It returns prizes.FieldErrors naming the tied projects when d's order is
// not exactly them.
func (s *Store) checkTie(ctx context.Context, tx pgx.Tx, ed prizes.Edition, d prizes.TieDecision) error {
	switch d.Stage {
	case prizes.StageChampions:
		nominees, err := s.nominees(ctx, tx, ed)
		if err != nil {
			return err
		}
		decisions, err := tieDecisions(ctx, tx, ed.ID)
		if err != nil {
			return err
		}
		cats, err := prizes.SelectChampions(ed, nominees, decisions)
		if te := (*prizes.TieError)(nil); err != nil && !errors.As(err, &te) {
			return err
		}
		for _, cc := range cats {
			if cc.Category == d.Category {
				return d.CheckTie(cc.TieAtCut(), cc.ExAequo)
			}
		}
	case prizes.StageWinners:
		rep, err := juryReport(ctx, tx, ed)
		if err != nil {
			return err
		}
		for _, rc := range rep.Categories {
			if rc.Result.Category == d.Category {
				return d.CheckTie(rc.Result.TieAtCut(), rc.Result.ExAequo)
			}
		}
	}
	return d.CheckTie(nil, false)
}

// closeCounting chooses the Champions: it ranks the nominees by the ledger,
// marks the top of each category, and keeps the result for everyone to read.
// The vote log must be empty first, so no vote cast in time is missing.
func (s *Store) closeCounting(ctx context.Context, tx pgx.Tx, ed prizes.Edition, details map[string]any) error {
	if s.backlog != nil {
		// The log is shared by every edition. While another edition is
		// voting its votes keep the log busy, and nothing tells them from
		// this edition's (which all came in before voting closed here,
		// normally days ago); the check is then left out, and the audit log
		// says so.
		var others int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM editions WHERE phase = 'voting' AND id <> $1`, ed.ID).Scan(&others); err != nil {
			return err
		}
		details["vote_log_checked"] = others == 0
		if others == 0 {
			pending, unread, err := s.backlog.Backlog(ctx)
			if err != nil {
				return fmt.Errorf("check the vote log: %w", err)
			}
			if pending+unread > 0 {
				return fmt.Errorf("%d vote log entries are still on their way to the ledger: %w", pending+unread, prizes.ErrNotReady)
			}
		}
	}
	nominees, err := s.nominees(ctx, tx, ed)
	if err != nil {
		return err
	}
	decisions, err := tieDecisions(ctx, tx, ed.ID)
	if err != nil {
		return err
	}
	cats, err := prizes.SelectChampions(ed, nominees, decisions)
	if err != nil {
		return err
	}
	var ids []uuid.UUID
	summary := map[string][]string{}
	for _, c := range cats {
		for _, id := range c.Champions() {
			ids = append(ids, uuid.MustParse(id))
		}
		summary[c.Category] = nonNil(c.Champions())
	}
	if _, err := tx.Exec(ctx, `UPDATE projects SET status = 'champion', updated_at = now() WHERE id = ANY($1)`, ids); err != nil {
		return err
	}
	doc, err := json.Marshal(cats)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO champion_results (edition_id, document, computed_at) VALUES ($1, $2, $3)`,
		ed.ID, string(doc), s.now()); err != nil {
		return err
	}
	details["champions"] = summary
	details["document"] = prizes.HashBytes(doc)
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Champions returns the Champion result chosen when counting closed. It
// returns a *prizes.PhaseError before that.
func (s *Store) Champions(ctx context.Context, edition string) ([]prizes.CategoryChampions, error) {
	ed, err := s.read(ctx, edition, prizes.ActionReadChampions)
	if err != nil {
		return nil, fmt.Errorf("read Champions: %w", err)
	}
	cats, err := championResult(ctx, s.pool, ed.ID)
	if err != nil {
		return nil, fmt.Errorf("read Champions of %q: %w", edition, database.Translate(err))
	}
	return cats, nil
}

func championResult(ctx context.Context, q querier, edition string) ([]prizes.CategoryChampions, error) {
	var doc string
	if err := q.QueryRow(ctx, `SELECT document FROM champion_results WHERE edition_id = $1`, edition).Scan(&doc); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			// An edition seeded straight into a later phase has none.
			return []prizes.CategoryChampions{}, nil
		}
		return nil, err
	}
	var cats []prizes.CategoryChampions
	if err := json.Unmarshal([]byte(doc), &cats); err != nil {
		return nil, fmt.Errorf("decode Champion result: %w", err)
	}
	return cats, nil
}

// DecideTie records an organiser's order for tied projects, replacing an
// earlier decision for the same stage and category. Champion ties are decided
// while counting, Winner ties during the jury phase. It returns
// prizes.FieldErrors (the order must name the category's nominees, or for
// Winners its Champions) or a *prizes.PhaseError.
func (s *Store) DecideTie(ctx context.Context, actor prizes.Actor, edition string, d prizes.TieDecision) (prizes.TieDecision, error) {
	err := s.edit(ctx, actor, edition, prizes.ActionDecideTie, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		if err := d.Check(ed); err != nil {
			return nil, err
		}
		if ed.Phase != d.Stage.Phase() {
			return nil, &prizes.PhaseError{Edition: ed.ID, Phase: ed.Phase, Allowed: []voting.Phase{d.Stage.Phase()}}
		}
		// The order must be exactly the tied projects, which also makes
		// them nominees (or Champions) of the category.
		if err := s.checkTie(ctx, tx, ed, d); err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(d.Order))
		for i, id := range d.Order {
			pid, err := uuid.Parse(id)
			if err != nil {
				return nil, prizes.FieldErrors{fmt.Sprintf("order[%d]", i): "is not a project id"}
			}
			ids[i] = pid
			d.Order[i] = pid.String()
		}
		d.DecidedBy, d.DecidedAt = actor.ID, s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `INSERT INTO tie_decisions (edition_id, stage, category_code, ordered, reason, decided_by, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (edition_id, stage, category_code) DO UPDATE
			SET ordered = excluded.ordered, reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
			ed.ID, string(d.Stage), d.Category, ids, d.Reason, d.DecidedBy, d.DecidedAt); err != nil {
			return nil, err
		}
		return &change{subject: string(d.Stage) + "/" + d.Category, details: d}, nil
	})
	if err != nil {
		return prizes.TieDecision{}, fmt.Errorf("decide tie in %q: %w", edition, err)
	}
	return d, nil
}
