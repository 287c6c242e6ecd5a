package postgres_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/transparency/verify"
	"github.com/wsisvote/prizes/voting"
)

// publishWithVotes runs the fixture's edition to publication with votes of
// every status, one juror scoring the Champions, and returns the projects by
// category.
func (f *fixture) publishWithVotes(tb testing.TB) map[string][]string {
	tb.Helper()
	f.createEdition(tb, smallRules)
	ids := f.nominees(tb, 3)
	voters := f.voters(tb, 9, "KE", "BR")
	f.cast(tb, ids["C1"][0], "C1", voters[0:4], voting.StatusCounted)
	f.cast(tb, ids["C1"][1], "C1", voters[4:6], voting.StatusFlagged)
	f.cast(tb, ids["C1"][2], "C1", voters[6:8], voting.StatusInvalidated)
	f.cast(tb, ids["C2"][0], "C2", voters[0:3], voting.StatusCounted)
	f.cast(tb, ids["C2"][1], "C2", voters[3:5], voting.StatusCounted)
	f.cast(tb, ids["C2"][2], "C2", voters[5:6], voting.StatusRejected)
	f.advance(tb, voting.PhaseCounting)
	f.advance(tb, voting.PhaseJury)
	juror := f.account(tb, "juror", "juror@example.org", "")
	champions, err := f.store.Champions(f.ctx, f.edition)
	if err != nil {
		tb.Fatal(err)
	}
	for i, c := range champions {
		if err := f.store.Assign(f.ctx, f.organiser, f.edition, juror.ID, c.Category); err != nil {
			tb.Fatal(err)
		}
		for j, p := range c.Champions() {
			f.score(tb, juror, p, scores(5+i+j, 5))
		}
	}
	f.advance(tb, voting.PhasePublished)
	return ids
}

// artefacts returns what an auditor downloads: the signed results and the
// ledger file, as the store gives them now.
func (f *fixture) artefacts(tb testing.TB) (results, ledger []byte) {
	tb.Helper()
	signed, err := f.store.Results(f.ctx, f.edition)
	if err != nil {
		tb.Fatal(err)
	}
	if results, err = json.Marshal(signed); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.store.WriteLedger(f.ctx, f.edition, &buf); err != nil {
		tb.Fatal(err)
	}
	return results, buf.Bytes()
}

// auditLedger runs the offline checks on results and ledger.
func auditLedger(results, ledger []byte) error {
	d, err := verify.Results(results)
	if err != nil {
		return err
	}
	_, err = verify.Ledger(d, bytes.NewReader(ledger))
	return err
}

func TestStore_WriteLedger_tampering(t *testing.T) {
	f := newFixture(t)
	ids := f.publishWithVotes(t)
	results, ledger := f.artefacts(t)
	d, err := verify.Results(results)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Ledger(d, bytes.NewReader(ledger))
	if err != nil {
		t.Fatalf("the untouched ledger: %v", err)
	}
	if rep.Votes != 14 || rep.Counted != 11 || rep.Invalidated["unspecified"] != 3 {
		t.Fatalf("report %+v; want 14 votes, 11 counted, 3 invalidated without a reason", rep)
	}
	t.Run("a voter's receipt", func(t *testing.T) {
		var voteID string
		if err := f.pool.QueryRow(f.ctx, `SELECT id::text FROM votes WHERE project_id = $1 LIMIT 1`, ids["C2"][1]).Scan(&voteID); err != nil {
			t.Fatal(err)
		}
		log := &transparency.Log{Store: f.votes}
		p, err := log.Inclusion(f.ctx, f.edition, voteID, 0)
		if err != nil {
			t.Fatal(err)
		}
		var vp verify.InclusionProof
		b, _ := json.Marshal(p)
		if err := json.Unmarshal(b, &vp); err != nil {
			t.Fatal(err)
		}
		if err := verify.Receipt(d, vp, voteID); err != nil {
			t.Fatalf("receipt: %v", err)
		}
		vp.ProjectID = ids["C2"][0]
		if err := verify.Receipt(d, vp, voteID); !isFailure(err, verify.CheckInclusion) {
			t.Fatalf("a proof claiming another project: %v; want an inclusion failure", err)
		}
	})

	var victim string
	if err := f.pool.QueryRow(f.ctx, `SELECT id::text FROM votes WHERE edition_id = $1 AND leaf_index = 5`, f.edition).Scan(&victim); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, tamper, undo string
		check              string
	}{
		{"a vote's project changed", `UPDATE votes SET project_id = '` + ids["C1"][2] + `' WHERE id = '` + victim + `'`,
			`UPDATE votes SET project_id = '` + ids["C1"][1] + `' WHERE id = '` + victim + `'`, verify.CheckLogRoot},
		{"a vote dropped", `CREATE TABLE saved AS SELECT * FROM votes WHERE id = '` + victim + `'; DELETE FROM votes WHERE id = '` + victim + `'`,
			`INSERT INTO votes SELECT * FROM saved; DROP TABLE saved`, verify.CheckLedgerFile},
		{"a vote added", `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot, status, cast_at, leaf_index)
			SELECT '0190a1b2-0000-7000-8000-000000000001', edition_id, voter_id + 1000, project_id, category_code, slot, status, cast_at, 14
			FROM votes WHERE id = '` + victim + `'`,
			`DELETE FROM votes WHERE id = '0190a1b2-0000-7000-8000-000000000001'`, verify.CheckLogRoot},
		{"a vote's status changed", `UPDATE votes SET status = 'invalidated', reasons = '{bot}' WHERE id = '` + victim + `'`,
			`UPDATE votes SET status = 'flagged', reasons = '{}' WHERE id = '` + victim + `'`, verify.CheckStatusRoot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := f.pool.Exec(f.ctx, c.tamper); err != nil {
				t.Fatal(err)
			}
			_, tampered := f.artefacts(t)
			if _, err := f.pool.Exec(f.ctx, c.undo); err != nil {
				t.Fatal(err)
			}
			err := auditLedger(results, tampered)
			if !isFailure(err, c.check) {
				t.Fatalf("audit: %v; want a %q failure", err, c.check)
			}
			t.Logf("found by the %s check: %v", c.check, err)
		})
	}
	t.Run("a count changed in the document", func(t *testing.T) {
		changed := bytes.Replace(results, []byte(`"votes":4,`), []byte(`"votes":5,`), 1)
		if bytes.Equal(changed, results) {
			t.Fatal("no count of 4 in the document")
		}
		err := auditLedger(changed, ledger)
		if !isFailure(err, verify.CheckSignature) {
			t.Fatalf("audit: %v; want a signature failure", err)
		}
		t.Logf("found by the %s check: %v", verify.CheckSignature, err)
	})
	t.Run("a count changed in a ledger file's status", func(t *testing.T) {
		changed := bytes.Replace(ledger, []byte(`"status":"invalidated","reasons":["unspecified"]`), []byte(`"status":"counted","reasons":[]`), 1)
		err := auditLedger(results, changed)
		if !isFailure(err, verify.CheckStatusRoot) {
			t.Fatalf("audit: %v; want a status root failure", err)
		}
	})
	t.Run("the untouched ledger still passes", func(t *testing.T) {
		_, again := f.artefacts(t)
		if err := auditLedger(results, again); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(again), `"status":"counted"`) {
			t.Fatal("no counted line")
		}
	})
}

func isFailure(err error, check string) bool {
	var f *verify.Failure
	return errors.As(err, &f) && f.Check == check
}
