package api_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/prizes"
)

// smallContest is the rules of the API tests: 3 nominees, 2 Champions and 1
// Winner per category, a two-line rubric.
const smallContest = `{"nominees_per_category":3,"champions_per_category":2,"winners_per_category":1,
	"rubric":[{"key":"impact","name":"Impact","weight":2},{"key":"reach","name":"Reach","weight":1}]}`

// createEdition creates the contest's edition with categories C1 and C2.
func (k *contest) createEdition() {
	k.tb.Helper()
	k.must(http.StatusCreated, "organiser", "POST", "/editions", `{"id":"`+k.edition+`","name":"WSIS Prizes 2026",
		"categories":[{"code":"C1","name":"Governments"},{"code":"C2","name":"Infrastructure"}],
		"rules":`+smallContest+`}`, nil)
}

func (k *contest) advance(to string) {
	k.tb.Helper()
	k.must(http.StatusOK, "organiser", "POST", k.ed("/phase"), map[string]string{"phase": to}, nil)
}

type editionBody struct {
	Phase       string          `json:"phase"`
	Rules       json.RawMessage `json:"rules"`
	RulesHash   string          `json:"rules_hash"`
	RulesFrozen bool            `json:"rules_frozen"`
}

// TestPrizes_lifecycle drives a contest through HTTP from the organiser's,
// the owners', the jurors' and the public's side: entries, review, Champions
// with a tie at the cut, the jury with a tie for the Winner, publication and
// the signed results.
func TestPrizes_lifecycle(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	var ed editionBody
	k.must(http.StatusOK, "", "GET", k.ed(""), nil, &ed)
	if ed.Phase != "draft" || ed.RulesFrozen || ed.RulesHash != prizes.HashBytes(ed.Rules) {
		t.Fatalf("new edition %+v", ed)
	}
	wantError(t, k.call("", "GET", k.ed("/results"), nil), http.StatusNotFound, "not_published")

	k.advance("submission")
	c1 := []string{k.submitted("owner", "C1", "Alpha"), k.submitted("owner", "C1", "Bravo"), k.submitted("owner", "C1", "Charlie")}
	late := k.submitted("owner2", "C1", "Delta")
	c2 := []string{k.submitted("owner", "C2", "Echo"), k.submitted("owner", "C2", "Foxtrot")}
	k.advance("review")
	var queue struct {
		Cap, Nominated int
		Entries        []entryJSON
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/review?category=C1"), nil, &queue)
	if queue.Cap != 3 || len(queue.Entries) != 4 {
		t.Fatalf("C1 queue: cap %d, %d entries", queue.Cap, len(queue.Entries))
	}
	var ds []prizes.ReviewDecision
	for _, id := range append(slices.Clone(c1), c2...) {
		ds = append(ds, prizes.ReviewDecision{ProjectID: id, Decision: "nominate"})
	}
	ds = append(ds, prizes.ReviewDecision{ProjectID: late, Decision: "reject", Reason: "The project started after the cut-off date."})
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"), map[string]any{"decisions": ds}, nil)
	var own entryJSON
	k.must(http.StatusOK, "owner2", "GET", k.ed("/submissions/"+late), nil, &own)
	if own.Status != "rejected" || !strings.Contains(own.Reason, "cut-off") {
		t.Fatalf("rejected entry as its owner sees it: %+v", own)
	}

	k.advance("voting")
	var frozen editionBody
	k.must(http.StatusOK, "", "GET", k.ed(""), nil, &frozen)
	if !frozen.RulesFrozen || frozen.RulesHash != ed.RulesHash {
		t.Fatalf("edition after voting opened: frozen %v, hash %s (was %s)", frozen.RulesFrozen, frozen.RulesHash, ed.RulesHash)
	}
	wantError(t, k.call("organiser", "PATCH", k.ed("/rules"), `{"public_tally":false}`), http.StatusConflict, "wrong_phase")

	// C1: Alpha 5, then Bravo and Charlie tie at the cut with 3 votes each,
	// cast at the same times by voters of no known country, so only an
	// organiser can break it. C2: two nominees, two Champions.
	k.castVotes(c1[0], "C1", 5)
	k.castVotes(c1[1], "C1", 3)
	k.castVotes(c1[2], "C1", 3)
	k.castVotes(c2[0], "C2", 2)
	k.castVotes(c2[1], "C2", 2)
	k.advance("counting")
	w := k.call("organiser", "POST", k.ed("/phase"), `{"phase":"jury"}`)
	wantError(t, w, http.StatusConflict, "tie_unresolved")
	var preview struct {
		Ties []prizes.Tie `json:"ties"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/champions/preview"), nil, &preview)
	if len(preview.Ties) != 1 || preview.Ties[0].Category != "C1" || len(preview.Ties[0].Projects) != 2 {
		t.Fatalf("preview ties %+v", preview.Ties)
	}
	k.must(http.StatusOK, "organiser", "POST", k.ed("/ties"), map[string]any{
		"stage": "champions", "category": "C1", "order": []string{c1[2], c1[1]}, "reason": "Drawn by lot in public on 3 June.",
	}, nil)
	k.advance("jury")
	var champions struct {
		Categories []prizes.CategoryChampions `json:"categories"`
	}
	k.must(http.StatusOK, "", "GET", k.ed("/champions"), nil, &champions)
	got := champions.Categories[0]
	if !slices.Equal(got.Champions(), []string{c1[0], c1[2]}) || got.Decision == nil || got.Nominees[1].SeparatedBy != "organiser" {
		t.Fatalf("C1 Champions %v, decision %+v, standings %+v", got.Champions(), got.Decision, got.Nominees)
	}

	for _, j := range []string{"juror", "juror2"} {
		for _, cat := range []string{"C1", "C2"} {
			k.must(http.StatusOK, "organiser", "PUT", k.ed("/jury/assignments"), map[string]any{"juror_id": k.ids[j], "category": cat}, nil)
		}
	}
	score := func(juror, project string, impact, reach int) {
		t.Helper()
		k.must(http.StatusOK, juror, "PUT", k.ed("/jury/scores/"+project), map[string]any{"scores": map[string]int{"impact": impact, "reach": reach}}, nil)
		k.must(http.StatusOK, juror, "POST", k.ed("/jury/scores/"+project+"/submit"), nil, nil)
	}
	score("juror", c1[0], 8, 8)
	score("juror", c1[2], 6, 6)
	score("juror2", c1[0], 7, 7)
	score("juror2", c1[2], 7, 7)
	// C2: the jurors see both alike, and so did the public: a Winner tie.
	score("juror", c2[0], 7, 7)
	score("juror", c2[1], 7, 7)
	score("juror2", c2[0], 6, 9)
	score("juror2", c2[1], 6, 9)
	var me struct {
		Categories []struct {
			Projects []struct {
				ID        string `json:"id"`
				Scorecard *struct {
					Scores map[string]int `json:"scores"`
				} `json:"scorecard"`
			} `json:"projects"`
		} `json:"categories"`
	}
	k.must(http.StatusOK, "juror2", "GET", k.ed("/jury/me"), nil, &me)
	if p := me.Categories[0].Projects; len(p) != 2 || p[0].Scorecard == nil || p[0].Scorecard.Scores["impact"] != 7 {
		t.Fatalf("juror2 sees %+v; want their own scores on the two Champions", me.Categories[0].Projects)
	}
	// A juror on no panel sees nothing and scores nothing.
	var outsider struct {
		Categories []any `json:"categories"`
	}
	k.must(http.StatusOK, "juror3", "GET", k.ed("/jury/me"), nil, &outsider)
	if len(outsider.Categories) != 0 {
		t.Fatalf("a juror on no panel sees %v", outsider.Categories)
	}
	wantError(t, k.call("juror3", "PUT", k.ed("/jury/scores/"+c1[0]), `{"scores":{"impact":10}}`), http.StatusNotFound, "not_assigned")
	wantError(t, k.call("juror3", "POST", k.ed("/jury/conflicts"), `{"project_id":"`+c1[0]+`","reason":"friend"}`), http.StatusNotFound, "not_assigned")
	// A submitted scorecard is final.
	wantError(t, k.call("juror", "PUT", k.ed("/jury/scores/"+c1[0]), `{"scores":{"impact":1}}`), http.StatusConflict, "final")
	wantError(t, k.call("organiser", "POST", k.ed("/phase"), `{"phase":"published"}`), http.StatusConflict, "tie_unresolved")
	k.must(http.StatusOK, "organiser", "POST", k.ed("/ties"), map[string]any{
		"stage": "winners", "category": "C2", "order": []string{c2[1], c2[0]}, "reason": "The jury chair's casting vote.",
	}, nil)
	var report prizes.JuryReport
	k.must(http.StatusOK, "organiser", "GET", k.ed("/jury/report"), nil, &report)
	if report.Categories[0].Progress.Submitted != 4 || report.Categories[0].Problem != "" {
		t.Fatalf("C1 report %+v", report.Categories[0])
	}
	k.advance("published")

	// Anyone can read and check the results.
	var signed prizes.SignedResults
	k.must(http.StatusOK, "", "GET", k.ed("/results"), nil, &signed)
	pub, _ := base64.StdEncoding.DecodeString(signed.PublicKey)
	sig, _ := base64.StdEncoding.DecodeString(signed.Signature)
	if !ed25519.Verify(pub, signed.Document, sig) {
		t.Fatal("the published document does not verify with the published key")
	}
	res, err := signed.Results()
	if err != nil {
		t.Fatal(err)
	}
	if w := res.WinnerIDs(); !slices.Equal(w, []string{c1[0], c2[1]}) {
		t.Fatalf("Winners %v; want %v", w, []string{c1[0], c2[1]})
	}
	if res.RulesHash != ed.RulesHash || res.Ledger.Counted != 15 {
		t.Fatalf("results rules hash %s (want %s), ledger %+v", res.RulesHash, ed.RulesHash, res.Ledger)
	}
	w = k.call("", "GET", k.ed("/results.csv"), nil)
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if w.Code != http.StatusOK || err != nil || len(rows) != 6 || !slices.Equal(rows[0], prizes.ResultsCSVHeader()) {
		t.Fatalf("results.csv: %d, %v, %q", w.Code, err, rows)
	}
	var audit prizes.AuditReport
	k.must(http.StatusOK, "organiser", "GET", k.ed("/audit/verify"), nil, &audit)
	if !audit.OK || audit.Entries < 20 {
		t.Fatalf("audit %+v", audit)
	}
	var log struct {
		Entries []prizes.AuditEntry `json:"entries"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/audit?limit=5"), nil, &log)
	if len(log.Entries) != 5 || log.Entries[0].Action != prizes.ActionCreateEdition || log.Entries[0].ActorRole != "organiser" {
		t.Fatalf("first audit entries %+v", log.Entries)
	}
}

// TestPrizes_submissions: owners get field-level errors, one entry per
// organisation and category, and see only their own entries.
func TestPrizes_submissions(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")

	bad := entryBody("C1", "Gamma")
	bad["country"], bad["stakeholder_type"], bad["links"] = "XX", "alien", []string{"ftp://example.org", "https://ok.example"}
	w := k.call("owner", "POST", k.ed("/submissions"), bad)
	wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
	var body struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	decode(t, w, &body)
	for _, f := range []string{"country", "stakeholder_type", "links[0]"} {
		if body.Error.Fields[f] == "" {
			t.Errorf("no field error for %s in %v", f, body.Error.Fields)
		}
	}
	if len(body.Error.Fields) != 3 {
		t.Errorf("field errors %v; want exactly country, stakeholder_type, links[0]", body.Error.Fields)
	}

	// A draft keeps a short summary; submitting it does not.
	draft := entryBody("C1", "Gamma")
	draft["summary"] = "Too short."
	var e entryJSON
	k.must(http.StatusCreated, "owner", "POST", k.ed("/submissions"), draft, &e)
	w = k.call("owner", "POST", k.ed("/submissions/"+e.ID+"/submit"), nil)
	wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
	decode(t, w, &body)
	if !strings.Contains(body.Error.Fields["summary"], "150 to 200 words") {
		t.Fatalf("summary error %q", body.Error.Fields["summary"])
	}
	k.must(http.StatusOK, "owner", "PUT", k.ed("/submissions/"+e.ID), entryBody("C1", "Gamma"), nil)
	k.must(http.StatusOK, "owner", "POST", k.ed("/submissions/"+e.ID+"/submit"), nil, &e)

	// The same organisation, however written, cannot enter C1 twice; C2 is fine.
	wantError(t, k.call("owner2", "POST", k.ed("/submissions"), entryBody("C1", "  GAMMA. ")), http.StatusConflict, "duplicate_entry")
	k.submitted("owner2", "C2", "Gamma")

	// Another owner gets a 404 and nothing of the entry.
	before := k.fingerprint()
	for _, r := range []struct{ method, path string }{
		{"GET", "/submissions/" + e.ID},
		{"PUT", "/submissions/" + e.ID},
		{"POST", "/submissions/" + e.ID + "/submit"},
		{"POST", "/submissions/" + e.ID + "/withdraw"},
	} {
		var body any
		if r.method == "PUT" {
			body = entryBody("C1", "Hijacked")
		}
		w := k.call("owner2", r.method, k.ed(r.path), body)
		wantError(t, w, http.StatusNotFound, "unknown_project")
		if strings.Contains(w.Body.String(), "Gamma") {
			t.Errorf("%s %s leaked the entry: %s", r.method, r.path, w.Body)
		}
	}
	if k.fingerprint() != before {
		t.Fatal("another owner's requests changed something")
	}
	var mine struct{ Entries []entryJSON }
	k.must(http.StatusOK, "owner2", "GET", k.ed("/submissions"), nil, &mine)
	if len(mine.Entries) != 1 {
		t.Fatalf("owner2 lists %d entries; want their own one", len(mine.Entries))
	}

	// Withdrawing frees the organisation's place.
	k.must(http.StatusOK, "owner", "POST", k.ed("/submissions/"+e.ID+"/withdraw"), nil, &e)
	if e.Status != "withdrawn" {
		t.Fatalf("status %q after withdrawal", e.Status)
	}
	k.submitted("owner2", "C1", "Gamma")

	for _, body := range []string{`{"title":`, `{"category":"C1","nickname":"x"}`, `{"links":"https://example.org"}`} {
		wantError(t, k.call("owner", "POST", k.ed("/submissions"), body), http.StatusUnprocessableEntity, "invalid_request")
	}
}

// TestPrizes_review: the cap per category holds for bulk decisions, which
// apply all or none, and a rejection needs a reason.
func TestPrizes_review(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	var ids []string
	for _, org := range []string{"A", "B", "C", "D"} {
		ids = append(ids, k.submitted("owner", "C1", "Org "+org))
	}
	k.advance("review")
	nominate := func(ids ...string) map[string]any {
		var ds []prizes.ReviewDecision
		for _, id := range ids {
			ds = append(ds, prizes.ReviewDecision{ProjectID: id, Decision: "nominate"})
		}
		return map[string]any{"decisions": ds}
	}
	before := k.fingerprint()
	wantError(t, k.call("organiser", "POST", k.ed("/review"), nominate(ids...)), http.StatusConflict, "nomination_cap")
	wantError(t, k.call("organiser", "POST", k.ed("/review"), map[string]any{"decisions": []prizes.ReviewDecision{
		{ProjectID: ids[0], Decision: "nominate"}, {ProjectID: ids[1], Decision: "reject"},
	}}), http.StatusUnprocessableEntity, "invalid_request")
	if k.fingerprint() != before {
		t.Fatal("a refused batch changed something")
	}
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"), nominate(ids[:3]...), nil)
	wantError(t, k.call("organiser", "POST", k.ed("/review"), nominate(ids[3])), http.StatusConflict, "nomination_cap")
	// Review may change its mind: reject one, and the fourth fits.
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"), map[string]any{"decisions": []prizes.ReviewDecision{
		{ProjectID: ids[0], Decision: "reject", Reason: "Not in this category's scope."}, {ProjectID: ids[3], Decision: "nominate"},
	}}, nil)
	var queue struct{ Nominated int }
	k.must(http.StatusOK, "organiser", "GET", k.ed("/review?category=C1"), nil, &queue)
	if queue.Nominated != 3 {
		t.Fatalf("%d nominated; want 3", queue.Nominated)
	}
	wantError(t, k.call("organiser", "GET", k.ed("/review?category=C9"), nil), http.StatusNotFound, "unknown_category")
}
