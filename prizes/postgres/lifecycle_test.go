package postgres_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestStore_lifecycle runs a whole edition through the store: entries,
// review, votes in the ledger, Champions, the jury, publication, recount and
// the audit chain.
func TestStore_lifecycle(t *testing.T) {
	f := newFixture(t)
	ed := f.createEdition(t, smallRules)
	if ed.Phase != voting.PhaseDraft || ed.Rules.ChampionsPerCategory != 2 || ed.RulesHash != "" {
		t.Fatalf("new edition %+v", ed)
	}
	ids := f.nominees(t, 3)
	frozen, err := f.store.Edition(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if frozen.RulesHash != frozen.Rules.Hash() || frozen.RulesFrozenAt.IsZero() {
		t.Fatalf("rules not frozen at voting: hash %q, at %v", frozen.RulesHash, frozen.RulesFrozenAt)
	}

	// C1: 5, 3 (+2 invalidated), 1 votes; C2: 4, 4 (fewer countries), 2.
	voters := f.voters(t, 12, "KE", "BR", "IN", "FR")
	f.cast(t, ids["C1"][0], "C1", voters[0:5], voting.StatusCounted)
	f.cast(t, ids["C1"][1], "C1", voters[5:7], voting.StatusCounted)
	f.cast(t, ids["C1"][1], "C1", voters[7:8], voting.StatusFlagged)
	f.cast(t, ids["C1"][1], "C1", voters[8:10], voting.StatusInvalidated)
	f.cast(t, ids["C1"][2], "C1", voters[10:11], voting.StatusCounted)
	f.cast(t, ids["C2"][0], "C2", []int64{voters[0], voters[4], voters[8], voters[11]}, voting.StatusCounted) // KE, KE, KE, FR
	f.cast(t, ids["C2"][1], "C2", []int64{voters[1], voters[2], voters[3], voters[5]}, voting.StatusCounted)  // BR, IN, FR, BR
	f.cast(t, ids["C2"][2], "C2", voters[6:8], voting.StatusCounted)

	f.advance(t, voting.PhaseCounting)
	preview, err := f.store.PreviewChampions(f.ctx, f.edition)
	if err != nil || len(preview.Ties) != 0 {
		t.Fatalf("preview: %+v, %v", preview.Ties, err)
	}
	f.advance(t, voting.PhaseJury)
	champions, err := f.store.Champions(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := champions[0], champions[1]
	if got := c1.Champions(); !slices.Equal(got, []string{ids["C1"][0], ids["C1"][1]}) {
		t.Errorf("C1 Champions %v", got)
	}
	if c1.Nominees[1].Votes != 3 || c1.Margin == nil || *c1.Margin != 2 {
		t.Errorf("C1 standings %+v, margin %v; want 3 votes for the second (invalidated excluded) and margin 2", c1.Nominees, c1.Margin)
	}
	if got := c2.Champions(); !slices.Equal(got, []string{ids["C2"][1], ids["C2"][0]}) || c2.Nominees[0].SeparatedBy != "voter_countries" {
		t.Errorf("C2 Champions %v (%+v); want the nominee with more voter countries first", got, c2.Nominees)
	}

	jurors := []prizes.Actor{
		f.account(t, "juror", "j1@example.org", ""),
		f.account(t, "juror", "j2@example.org", ""),
		f.account(t, "juror", "j3@example.org", ""),
	}
	for _, j := range jurors {
		for _, cat := range []string{"C1", "C2"} {
			if err := f.store.Assign(f.ctx, f.organiser, f.edition, j.ID, cat); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := f.store.DeclareConflict(f.ctx, jurors[2], f.edition, ids["C1"][0], "I advised this project"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SaveScores(f.ctx, jurors[2], f.edition, ids["C1"][0], scores(9, 9)); !errors.Is(err, prizes.ErrConflictOfInterest) {
		t.Fatalf("conflicted juror scoring: %v; want ErrConflictOfInterest", err)
	}
	if _, err := f.store.SaveScores(f.ctx, jurors[0], f.edition, ids["C1"][2], scores(9, 9)); !errors.Is(err, prizes.ErrNotAssigned) {
		t.Fatalf("scoring a nominee that is not a Champion: %v; want ErrNotAssigned", err)
	}
	// A draft may be partial and is not counted; submitting needs it whole.
	if _, err := f.store.SaveScores(f.ctx, jurors[0], f.edition, ids["C1"][0], prizes.ScoreDraft{Scores: map[string]int{"impact": 4}}); err != nil {
		t.Fatal(err)
	}
	var fe prizes.FieldErrors
	if _, err := f.store.SubmitScores(f.ctx, jurors[0], f.edition, ids["C1"][0]); !errors.As(err, &fe) || fe["scores.reach"] == "" {
		t.Fatalf("submitting a partial scorecard: %v", err)
	}
	if _, err := f.store.Advance(f.ctx, f.organiser, f.edition, voting.PhasePublished); !errors.Is(err, prizes.ErrNotReady) {
		t.Fatalf("publishing without scores: %v; want ErrNotReady", err)
	}
	f.score(t, jurors[0], ids["C1"][0], scores(6, 7))
	f.score(t, jurors[1], ids["C1"][0], scores(7, 7))
	f.score(t, jurors[0], ids["C1"][1], scores(8, 8))
	f.score(t, jurors[1], ids["C1"][1], scores(7, 6))
	f.score(t, jurors[2], ids["C1"][1], scores(9, 9))
	for i, j := range jurors {
		f.score(t, j, ids["C2"][0], scores(5+i, 5))
		f.score(t, j, ids["C2"][1], scores(6+i, 6))
	}
	if _, err := f.store.SaveScores(f.ctx, jurors[0], f.edition, ids["C2"][1], scores(1, 1)); !errors.Is(err, prizes.ErrFinal) {
		t.Fatalf("changing a submitted scorecard: %v; want ErrFinal", err)
	}
	view, err := f.store.JurorView(f.ctx, jurors[2], f.edition)
	if err != nil || len(view.Categories) != 2 || len(view.Categories[0].Projects) != 2 {
		t.Fatalf("juror view %+v, %v", view, err)
	}
	for _, c := range view.Categories {
		for _, p := range c.Projects {
			if p.Scorecard != nil && p.Scorecard.JurorID != jurors[2].ID {
				t.Fatalf("juror sees another juror's scorecard: %+v", p.Scorecard)
			}
		}
	}
	report, err := f.store.JuryReport(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if p := report.Categories[0].Progress; p.Expected != 5 || p.Submitted != 5 || p.Conflicts != 1 {
		t.Errorf("C1 progress %+v; want 5 expected (3 jurors x 2 Champions - 1 conflict), 5 submitted", p)
	}

	f.advance(t, voting.PhasePublished)
	signed, err := f.store.Results(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if err := signed.Verify(); err != nil {
		t.Fatal(err)
	}
	res, err := signed.Results()
	if err != nil {
		t.Fatal(err)
	}
	if w := res.WinnerIDs(); !slices.Equal(w, []string{ids["C1"][1], ids["C2"][1]}) {
		t.Errorf("Winners %v; want %v", w, []string{ids["C1"][1], ids["C2"][1]})
	}
	if res.RulesHash != frozen.RulesHash || res.Ledger.Votes != 21 || res.Ledger.Counted != 19 || res.Jurors != 3 {
		t.Errorf("results rules hash %s (frozen %s), ledger %+v, jurors %d", res.RulesHash, frozen.RulesHash, res.Ledger, res.Jurors)
	}
	if s := res.Categories[0].Jury.Sensitivity; len(s.LeaveOneOut) != 3 {
		t.Errorf("C1 sensitivity %+v; want a leave-one-out line per juror", s)
	}
	v, err := f.store.VerifyResults(f.ctx, f.edition)
	if err != nil || !v.OK() {
		t.Fatalf("recount of fresh results: %+v, %v", v, err)
	}
	audit, err := f.store.VerifyAudit(f.ctx, f.edition)
	if err != nil || !audit.OK || audit.Entries < 20 {
		t.Fatalf("audit %+v, %v", audit, err)
	}
	// Published is final: nothing more changes.
	if _, err := f.store.SetSchedule(f.ctx, f.organiser, f.edition, prizes.Schedule{}, false); !errors.Is(err, prizes.ErrWrongPhase) {
		t.Fatalf("changing a published edition: %v", err)
	}

	t.Run("recount sees a vote invalidated after publication", func(t *testing.T) {
		if _, err := f.pool.Exec(f.ctx, `UPDATE votes SET status = 'invalidated' WHERE id = (
			SELECT id FROM votes WHERE project_id = $1 LIMIT 1)`, ids["C2"][2]); err != nil {
			t.Fatal(err)
		}
		v, err := f.store.VerifyResults(f.ctx, f.edition)
		if err != nil {
			t.Fatal(err)
		}
		if v.OK() || !v.SignatureValid || len(v.Differences) == 0 {
			t.Fatalf("verification %+v; want a difference", v)
		}
		t.Logf("differences: %v", v.Differences)
	})
}

// TestStore_AdvanceDue: the schedule moves editions whose window has ended,
// and leaves others alone.
func TestStore_AdvanceDue(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	start := t0.Add(time.Hour)
	if _, err := f.store.SetSchedule(f.ctx, f.organiser, f.edition, prizes.Schedule{
		voting.PhaseSubmission: {Start: &start},
	}, false); err != nil {
		t.Fatal(err)
	}
	if got, err := f.store.AdvanceDue(f.ctx, t0); err != nil || len(got) != 0 {
		t.Fatalf("before the window: advanced %v, %v", got, err)
	}
	got, err := f.store.AdvanceDue(f.ctx, start)
	if err != nil || !slices.Equal(got, []string{f.edition}) {
		t.Fatalf("at the window: advanced %v, %v", got, err)
	}
	ed, _ := f.store.Edition(f.ctx, f.edition)
	if ed.Phase != voting.PhaseSubmission {
		t.Fatalf("phase %s", ed.Phase)
	}
	if got, err := f.store.AdvanceDue(f.ctx, start.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("once advanced: advanced %v, %v", got, err)
	}
	log, err := f.store.AuditLog(f.ctx, f.edition, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.Action != prizes.ActionAdvance || last.ActorRole != "system" {
		t.Fatalf("last audit entry %+v; want the system's advance", last)
	}
}
