package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestStore_FreezeSeededRules: an edition seeded straight into voting gets
// its rules frozen as opening voting freezes them, once, and its published
// results are then held to the frozen hash.
func TestStore_FreezeSeededRules(t *testing.T) {
	f := newFixture(t)
	f.edition = "demo"
	seeded, cats, projects := prizes.DemoEdition(f.edition, 1)
	if err := f.votes.SeedEdition(f.ctx, seeded, cats, projects); err != nil {
		t.Fatal(err)
	}
	if ed, err := f.store.Edition(f.ctx, f.edition); err != nil || ed.RulesHash != "" {
		t.Fatalf("seeded edition before the freeze: hash %q, %v", ed.RulesHash, err)
	}
	if err := f.store.FreezeSeededRules(f.ctx, f.edition); err != nil {
		t.Fatal(err)
	}
	frozen, err := f.store.Edition(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if frozen.RulesHash == "" || frozen.RulesHash != frozen.Rules.Hash() || frozen.RulesFrozenAt.IsZero() {
		t.Fatalf("frozen: hash %q (rules hash to %q), frozen at %v", frozen.RulesHash, frozen.Rules.Hash(), frozen.RulesFrozenAt)
	}
	// Seeding again leaves the freeze as it was.
	if err := f.store.FreezeSeededRules(f.ctx, f.edition); err != nil {
		t.Fatal(err)
	}
	again, _ := f.store.Edition(f.ctx, f.edition)
	if again.RulesHash != frozen.RulesHash || !again.RulesFrozenAt.Equal(frozen.RulesFrozenAt) {
		t.Fatalf("a second freeze changed it: %q at %v", again.RulesHash, again.RulesFrozenAt)
	}
	log, err := f.store.AuditLog(f.ctx, f.edition, 0, 0)
	if err != nil || len(log) != 1 || log[0].Action != prizes.ActionFreezeRules || log[0].ActorRole != "system" ||
		!strings.Contains(string(log[0].Details), frozen.RulesHash) {
		t.Fatalf("audit log %+v, %v; want one freeze by the system", log, err)
	}
	if err := f.store.FreezeSeededRules(f.ctx, "nosuch"); !errors.Is(err, voting.ErrUnknownEdition) {
		t.Fatalf("unknown edition: %v", err)
	}

	t.Run("an edition not voting yet is left alone", func(t *testing.T) {
		g := newFixture(t)
		g.createEdition(t, smallRules)
		if err := g.store.FreezeSeededRules(g.ctx, g.edition); err != nil {
			t.Fatal(err)
		}
		if ed, _ := g.store.Edition(g.ctx, g.edition); ed.RulesHash != "" || !ed.RulesFrozenAt.IsZero() {
			t.Fatalf("draft edition frozen: %q at %v", ed.RulesHash, ed.RulesFrozenAt)
		}
	})

	// Through to publication: one Champion per category, one juror.
	f.advance(t, voting.PhaseCounting)
	f.advance(t, voting.PhaseJury)
	juror := f.account(t, "juror", "juror@example.org", "")
	draft := prizes.ScoreDraft{Scores: map[string]int{}}
	for _, c := range frozen.Rules.Rubric {
		draft.Scores[c.Key] = 7
	}
	for _, c := range cats {
		if err := f.store.Assign(f.ctx, f.organiser, f.edition, juror.ID, c.Code); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range projects {
		f.score(t, juror, p.ID, draft)
	}
	f.advance(t, voting.PhasePublished)
	signed, err := f.store.Results(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	res, err := signed.Results()
	if err != nil || res.RulesHash != frozen.RulesHash {
		t.Fatalf("published rules hash %q, %v; want the frozen %q", res.RulesHash, err, frozen.RulesHash)
	}
	v, err := f.store.VerifyResults(f.ctx, f.edition)
	if err != nil || !v.OK() {
		t.Fatalf("verification of fresh results: %+v, %v", v, err)
	}
	// The check compares the frozen hash: one altered behind the
	// service's back is a difference.
	if _, err := f.pool.Exec(f.ctx, `UPDATE editions SET rules_hash = $2 WHERE id = $1`, f.edition, strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	v, err = f.store.VerifyResults(f.ctx, f.edition)
	if err != nil || v.OK() || !strings.Contains(strings.Join(v.Differences, "; "), "rules hash frozen when voting opened") {
		t.Fatalf("verification after altering the frozen hash: %+v, %v", v, err)
	}
}
