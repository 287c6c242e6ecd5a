package prizes_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// resultsInput is a small edition, ready to publish: C1 with three nominees
// (two Champions, scored by two jurors), C2 with none.
func resultsInput() prizes.ResultsInput {
	rules := juryRules(prizes.ZScore)
	rules.ChampionsPerCategory = 2
	ed := prizes.Edition{ID: "e", Name: "E", Rules: rules,
		Categories: []voting.Category{{Code: "C1", Name: "One"}, {Code: "C2", Name: "Two"}}}
	submitted := t0.Add(time.Hour)
	card := func(juror int64, project string, impact, reach int) prizes.Scorecard {
		return prizes.Scorecard{JurorID: juror, ProjectID: project, Scores: map[string]int{"impact": impact, "reach": reach}, SubmittedAt: submitted}
	}
	return prizes.ResultsInput{
		Edition:     ed,
		PublishedAt: t0.Add(48*time.Hour + 123*time.Nanosecond),
		Nominees:    []prizes.Nominee{nominee("a", 9, 2, 0), nominee("b", 7, 2, 0), nominee("=c", 3, 1, 0)},
		Scorecards: []prizes.Scorecard{
			card(42, "a", 8, 6), card(42, "b", 7, 9), card(7, "a", 5, 5), card(7, "b", 6, 6),
			// A draft does not count.
			{JurorID: 9, ProjectID: "a", Scores: map[string]int{"impact": 1, "reach": 1}},
		},
		Ledger:    prizes.LedgerSummary{Votes: 20, Counted: 19, Digest: "sha256:00"},
		AuditHead: prizes.AuditHead{Seq: 12, Hash: "sha256:11"},
	}
}

func TestBuildResults(t *testing.T) {
	in := resultsInput()
	res, err := prizes.BuildResults(in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Jurors != 2 || res.RulesHash != in.Edition.Rules.Hash() || res.PublishedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("results %+v", res)
	}
	c1 := res.Categories[0]
	if len(c1.Winners) != 1 || c1.Jury.Standings[0].Scorecards != 2 || len(res.Categories[1].Winners) != 0 {
		t.Fatalf("C1 %+v", c1)
	}
	// Jurors appear by pseudonym, in account order: 7 is J1.
	if l := c1.Jury.Sensitivity.LeaveOneOut; len(l) != 2 || l[0].Juror != "J1" || l[1].Juror != "J2" {
		t.Fatalf("leave-one-out %+v", l)
	}
	a, _ := res.Canonical()
	in.Scorecards[0], in.Scorecards[3] = in.Scorecards[3], in.Scorecards[0]
	again, _ := prizes.BuildResults(in)
	b, _ := again.Canonical()
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs in another order give other bytes")
	}

	in = resultsInput()
	in.Scorecards = in.Scorecards[:1]
	if _, err := prizes.BuildResults(in); !errors.Is(err, prizes.ErrNotReady) {
		t.Fatalf("a Champion without scorecards: %v", err)
	}
}

func TestSignResults(t *testing.T) {
	res, err := prizes.BuildResults(resultsInput())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := res.Canonical()
	_, key, _ := ed25519.GenerateKey(nil)
	signed := prizes.SignResults(doc, "k1", key)
	if err := signed.Verify(); err != nil {
		t.Fatal(err)
	}
	back, err := signed.Results()
	if err != nil || back.Edition != "e" || !back.PublishedAt.Equal(res.PublishedAt) {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	tampered := signed
	tampered.Document = bytes.Replace(signed.Document, []byte(`"votes":9`), []byte(`"votes":90`), 1)
	if bytes.Equal(tampered.Document, signed.Document) {
		t.Fatal("the test did not change the document")
	}
	if err := tampered.Verify(); !errors.Is(err, prizes.ErrBadSignature) {
		t.Fatalf("tampered document: %v", err)
	}
	diffs, err := prizes.DiffDocuments(signed.Document, tampered.Document, 0)
	if err != nil || len(diffs) != 1 || !strings.HasPrefix(diffs[0], "$.categories[0].champions.nominees[0].votes: 9 != 90") {
		t.Fatalf("diff %v, %v", diffs, err)
	}
}

func TestWriteResultsCSV(t *testing.T) {
	res, err := prizes.BuildResults(resultsInput())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := prizes.WriteResultsCSV(&buf, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	last := rows[3]
	if last[2] != "=c" || last[3] != "'=c" || last[8] != "false" || last[9] != "" {
		t.Fatalf("row %q: the id stays as it is, a title that looks like a formula is defused, a nominee has no jury columns", last)
	}
}

func TestLedgerHasher(t *testing.T) {
	votes := []voting.Vote{
		{ID: "1", VoterID: 1, ProjectID: "a", Category: "C1", Slot: "C1", Status: voting.StatusCounted, CastAt: t0},
		{ID: "2", VoterID: 2, ProjectID: "a", Category: "C1", Slot: "C1", Status: voting.StatusRejected, CastAt: t0},
	}
	sum := func(vs []voting.Vote) prizes.LedgerSummary {
		h := prizes.NewLedgerHasher(voting.Window{})
		for _, v := range vs {
			h.Add(v)
		}
		return h.Summary()
	}
	a := sum(votes)
	if a.Votes != 2 || a.Counted != 1 {
		t.Fatalf("summary %+v", a)
	}
	votes[1].Status = voting.StatusCounted
	if b := sum(votes); b.Digest == a.Digest {
		t.Fatal("a status change keeps the digest")
	}
}

func TestLedgerHasher_window(t *testing.T) {
	w := voting.Window{Opens: t0, Closes: t0.Add(time.Hour)}
	h := prizes.NewLedgerHasher(w)
	for i, v := range []struct {
		at     time.Time
		status voting.Status
	}{
		{t0.Add(-time.Microsecond), voting.StatusCounted}, // before: outside
		{t0, voting.StatusCounted},                        // at the opening: counted
		{t0.Add(30 * time.Minute), voting.StatusFlagged},  // inside: counted
		{t0.Add(time.Hour), voting.StatusCounted},         // at the close: outside
		{t0.Add(2 * time.Hour), voting.StatusInvalidated}, // counts nowhere, inside or not
	} {
		h.Add(voting.Vote{ID: strconv.Itoa(i), VoterID: int64(i + 1), ProjectID: "a", Category: "C1", Slot: "C1", Status: v.status, CastAt: v.at})
	}
	s := h.Summary()
	if s.Votes != 5 || s.Counted != 2 || s.OutsideWindow != 2 {
		t.Errorf("summary %+v; want 5 votes, 2 counted, 2 outside the window", s)
	}
	if s.Window.Opens == nil || !s.Window.Opens.Equal(t0) || s.Window.Closes == nil || !s.Window.Closes.Equal(t0.Add(time.Hour)) {
		t.Errorf("window %+v; want %v to %v", s.Window, t0, t0.Add(time.Hour))
	}
	if open := prizes.NewLedgerHasher(voting.Window{}).Summary().Window; open.Opens != nil || open.Closes != nil {
		t.Errorf("an open window shows as %+v; want null bounds", open)
	}
}
