package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestStore_VerifyAudit: the log refuses updates and deletes, and entries
// changed or removed behind the application's back are found.
func TestStore_VerifyAudit(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	f.nominees(t, 2)
	rep, err := f.store.VerifyAudit(f.ctx, f.edition)
	if err != nil || !rep.OK || rep.Entries != 9 {
		// create, 3 advances, 4 submits, 1 review batch
		t.Fatalf("intact log: %+v, %v", rep, err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE audit_log SET subject = 'x' WHERE edition_id = $1 AND seq = 2`, f.edition); err == nil {
		t.Fatal("the audit log accepted an update")
	}
	if _, err := f.pool.Exec(f.ctx, `DELETE FROM audit_log WHERE edition_id = $1`, f.edition); err == nil {
		t.Fatal("the audit log accepted a delete")
	}
	tests := []struct {
		name string
		sql  string
		seq  int64
	}{
		{"altered", `UPDATE audit_log SET actor_id = actor_id + 1 WHERE seq = 4`, 4},
		{"removed", `DELETE FROM audit_log WHERE seq = 7`, 8},
		{"removed at the end", `DELETE FROM audit_log WHERE seq = 9`, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFixture(t)
			g.createEdition(t, smallRules)
			g.nominees(t, 2)
			g.bypassAppendOnly(t, tt.sql)
			rep, err := g.store.VerifyAudit(g.ctx, g.edition)
			if err != nil || rep.OK || rep.Problems[0].Seq != tt.seq {
				t.Fatalf("report %+v, %v; want the first problem at %d", rep, err, tt.seq)
			}
		})
	}
	f.bypassAppendOnly(t, `UPDATE audit_log SET details = '{}' WHERE seq = 1`)
	if rep, _ := f.store.VerifyAudit(f.ctx, f.edition); rep.OK {
		t.Fatal("altered first entry not found")
	}
}

// TestStore_concurrentJury: jurors saving at once each land in the audit
// chain, which stays intact.
func TestStore_concurrentJury(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, `{"nominees_per_category":4,"champions_per_category":4,"winners_per_category":1,
		"rubric":[{"key":"impact","name":"Impact","weight":2},{"key":"reach","name":"Reach","weight":1}]}`)
	ids := f.nominees(t, 4)
	f.advance(t, voting.PhaseCounting)
	f.advance(t, voting.PhaseJury)
	var jurors []prizes.Actor
	for i := 0; i < 6; i++ {
		j := f.account(t, "juror", fmt.Sprintf("juror%d@example.org", i), "")
		if err := f.store.Assign(f.ctx, f.organiser, f.edition, j.ID, "C1"); err != nil {
			t.Fatal(err)
		}
		jurors = append(jurors, j)
	}
	var wg sync.WaitGroup
	for i, j := range jurors {
		wg.Add(1)
		go func(i int, j prizes.Actor) {
			defer wg.Done()
			for k, p := range ids["C1"] {
				if _, err := f.store.SaveScores(f.ctx, j, f.edition, p, scores(1+(i+k)%10, 5)); err != nil {
					t.Error(err)
				}
			}
		}(i, j)
	}
	wg.Wait()
	rep, err := f.store.VerifyAudit(f.ctx, f.edition)
	if err != nil || !rep.OK {
		t.Fatalf("audit after concurrent saves: %+v, %v", rep, err)
	}
	var saves int
	log, err := f.store.AuditLog(f.ctx, f.edition, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == prizes.ActionSaveScores {
			saves++
		}
	}
	if saves != len(jurors)*len(ids["C1"]) {
		t.Fatalf("%d score saves in the log; want %d", saves, len(jurors)*len(ids["C1"]))
	}
}

// TestStore_oneEntryPerOrganisation: of owners entering the same
// organisation at once, exactly one succeeds.
func TestStore_oneEntryPerOrganisation(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	f.advance(t, voting.PhaseSubmission)
	owners := make([]prizes.Actor, 8)
	for i := range owners {
		owners[i] = f.account(t, "owner", fmt.Sprintf("owner%d@example.org", i), "")
	}
	var wg sync.WaitGroup
	errs := make([]error, len(owners))
	for i, o := range owners {
		wg.Add(1)
		go func(i int, o prizes.Actor) {
			defer wg.Done()
			_, errs[i] = f.store.CreateSubmission(f.ctx, o, f.edition, entry("C1", fmt.Sprintf("The Same Org%s", []string{"", ".", " ", "  "}[i%4])))
		}(i, o)
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, prizes.ErrDuplicateEntry):
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent entries for one organisation were accepted; want 1", won, len(owners))
	}
}
