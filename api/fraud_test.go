package api_test

import (
	"crypto/ed25519"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// newFraudContest is newContest with the fraud review routes served, an
// edition in its voting phase, and one open case over five counted votes
// of one project. It returns the case's project.
func newFraudContest(tb testing.TB) (*contest, string) {
	tb.Helper()
	k := newContest(tb)
	fraud := apg.New(k.pool, k.store, apg.Options{})
	pub, _ := testKey(tb, 7)
	verifier, err := api.NewVerifier(map[string]ed25519.PublicKey{testKid: pub}, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	k.handler = api.New(api.Config{
		Votes:     casterFunc(func(voting.Ballot) (voting.Receipt, error) { return voting.Receipt{}, voting.ErrClosed }),
		Catalogue: voting.NewCatalogue(nil), Tokens: verifier,
		Prizes: api.PrizesConfig{Editions: k.store, Submissions: k.store, Review: k.store,
			Champions: k.store, Jury: k.store, Results: k.store, Audit: k.store, Fraud: fraud},
	})
	k.createEdition()
	k.setPhase(voting.PhaseVoting)
	project := uuid.NewString()
	k.castVotes(project, "C1", 5)
	rows, _ := k.pool.Query(k.ctx, `SELECT id::text FROM votes WHERE edition_id = $1`, k.edition)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	r := antifraud.Report{Cases: []antifraud.Case{{ID: "net-198.51.100.0", Kind: "shared_network", Score: 0.8,
		Votes: ids, Projects: []string{project}, Summary: "five accounts behind one network"}}}
	if _, err := fraud.SaveReport(k.ctx, prizes.SystemActor(), k.edition, r); err != nil {
		tb.Fatal(err)
	}
	return k, project
}

type fraudListJSON struct {
	Cases []struct {
		ID        string           `json:"id"`
		State     string           `json:"state"`
		VoteCount int64            `json:"vote_count"`
		Statuses  map[string]int64 `json:"statuses"`
		Votes     []string         `json:"votes"`
	} `json:"cases"`
	Projects []antifraud.ProjectReview `json:"projects"`
}

type fraudCaseJSON struct {
	State     string                   `json:"state"`
	Votes     []string                 `json:"votes"`
	Decisions []antifraud.Decision     `json:"decisions"`
	Evidence  []antifraud.EvidenceVote `json:"evidence"`
}

// TestFraud_routes: organisers list cases, read one with its evidence and
// decide on it; the decision shows in the case, the votes and the projects
// under review, and a malformed, repeated or misdirected decision is
// refused with its own code.
func TestFraud_routes(t *testing.T) {
	k, project := newFraudContest(t)
	var list fraudListJSON
	k.must(http.StatusOK, "organiser", "GET", k.ed("/fraud/cases"), nil, &list)
	if len(list.Cases) != 1 || list.Cases[0].State != "open" || list.Cases[0].VoteCount != 5 || list.Cases[0].Votes != nil || len(list.Projects) != 0 {
		t.Fatalf("case list %+v", list)
	}
	const path = "/fraud/cases/net-198.51.100.0"
	var one fraudCaseJSON
	k.must(http.StatusOK, "organiser", "GET", k.ed(path), nil, &one)
	if len(one.Votes) != 5 || len(one.Evidence) != 5 || one.Evidence[0].Status != "flagged" || len(one.Decisions) != 0 {
		t.Fatalf("case %+v", one)
	}

	var d antifraud.Decision
	k.must(http.StatusOK, "organiser", "POST", k.ed(path+"/decision"), `{"decision":"invalidate","reason":"accounts made in one minute"}`, &d)
	if d.Votes != 5 || d.Deltas[project] != -5 || d.DecidedBy != k.ids["organiser"] {
		t.Fatalf("decision %+v", d)
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/fraud/cases"), nil, &list)
	if list.Cases[0].State != "invalidated" || list.Cases[0].Statuses["invalidated"] != 5 || len(list.Projects) != 1 ||
		!list.Projects[0].DisqualificationReview || list.Projects[0].Reasons["shared_network"] != 5 {
		t.Fatalf("after invalidating: %+v", list)
	}

	for _, c := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"same decision", path + "/decision", `{"decision":"invalidate","reason":"again"}`, http.StatusConflict, "already_decided"},
		{"unknown decision", path + "/decision", `{"decision":"delete","reason":"x"}`, http.StatusUnprocessableEntity, "invalid_request"},
		{"no reason", path + "/decision", `{"decision":"clear","reason":" "}`, http.StatusUnprocessableEntity, "invalid_request"},
		{"unknown field", path + "/decision", `{"decision":"clear","reason":"x","votes":[]}`, http.StatusUnprocessableEntity, "invalid_request"},
		{"unknown case", "/fraud/cases/nope/decision", `{"decision":"clear","reason":"x"}`, http.StatusNotFound, "unknown_case"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := k.fraudFingerprint()
			wantError(t, k.call("organiser", "POST", k.ed(c.path), c.body), c.status, c.code)
			if k.fraudFingerprint() != before {
				t.Errorf("refused decision changed something")
			}
		})
	}
	wantError(t, k.call("organiser", "GET", k.ed("/fraud/cases/nope"), nil), http.StatusNotFound, "unknown_case")
	wantError(t, k.call("organiser", "GET", "/editions/nope/fraud/cases", nil), http.StatusNotFound, "unknown_edition")

	k.must(http.StatusOK, "organiser", "POST", k.ed(path+"/decision"), map[string]string{"decision": "clear", "reason": "a school"}, &d)
	k.must(http.StatusOK, "organiser", "GET", k.ed(path), nil, &one)
	if one.State != "cleared" || len(one.Decisions) != 2 || one.Decisions[1].Reason != "a school" || one.Evidence[0].Status != "counted" {
		t.Fatalf("after clearing: %+v", one)
	}
}

// TestFraud_policies: only organisers reach fraud review; anyone else is
// refused (401 without a token, 403 with another role's) and nothing
// changes.
func TestFraud_policies(t *testing.T) {
	k, _ := newFraudContest(t)
	routes := []struct{ method, path, body string }{
		{"GET", "/fraud/cases", ""},
		{"GET", "/fraud/cases/net-198.51.100.0", ""},
		{"HEAD", "/fraud/cases", ""},
		{"POST", "/fraud/cases/net-198.51.100.0/decision", `{"decision":"invalidate","reason":"x"}`},
	}
	for _, r := range routes {
		p, ok := k.handler.Policy(r.method, "/api/v1/editions/:edition"+strings.ReplaceAll(r.path, "net-198.51.100.0", ":id"))
		if !ok || p.Public || !slices.Equal(p.Roles, []string{api.RoleOrganiser}) {
			t.Errorf("%s %s: policy %+v; want organisers only", r.method, r.path, p)
		}
		for _, as := range []string{"", "voter", "owner", "juror"} {
			before := k.fraudFingerprint()
			var body any
			if r.body != "" {
				body = r.body
			}
			w := k.call(as, r.method, k.ed(r.path), body)
			status := http.StatusForbidden
			if as == "" {
				status = http.StatusUnauthorized
			}
			if w.Code != status {
				t.Errorf("%s %s as %q: %d %s; want %d", r.method, r.path, as, w.Code, w.Body, status)
			}
			if k.fraudFingerprint() != before {
				t.Errorf("%s %s as %q changed something", r.method, r.path, as)
			}
		}
	}
}

// TestFraud_wrongPhase: a decision is taken in the voting, counting and
// jury phases only; in any other it is 409 wrong_phase and changes nothing.
// Reading cases is allowed in every phase.
func TestFraud_wrongPhase(t *testing.T) {
	k, _ := newFraudContest(t)
	const path = "/fraud/cases/net-198.51.100.0"
	allowed := []voting.Phase{voting.PhaseVoting, voting.PhaseCounting, voting.PhaseJury}
	decision := "invalidate"
	for _, p := range prizes.Phases() {
		k.setPhase(p)
		k.must(http.StatusOK, "organiser", "GET", k.ed("/fraud/cases"), nil, nil)
		before := k.fraudFingerprint()
		w := k.call("organiser", "POST", k.ed(path+"/decision"), map[string]string{"decision": decision, "reason": "review in " + string(p)})
		if !slices.Contains(allowed, p) {
			wantError(t, w, http.StatusConflict, "wrong_phase")
			if !strings.Contains(w.Body.String(), string(p)) {
				t.Errorf("in %s: %s; want the message to name the phase", p, w.Body)
			}
			if k.fraudFingerprint() != before {
				t.Errorf("refused decision in %s changed something", p)
			}
			continue
		}
		if w.Code != http.StatusOK {
			t.Fatalf("decision in %s: %d %s", p, w.Code, w.Body)
		}
		decision = map[string]string{"invalidate": "clear", "clear": "invalidate"}[decision]
	}
}

// fraudFingerprint digests fraud review's tables, the votes' statuses and
// the audit head, so a test can show that a refused call changed nothing.
func (k *contest) fraudFingerprint() string {
	k.tb.Helper()
	var fp string
	err := k.pool.QueryRow(k.ctx, `SELECT coalesce(md5(string_agg(x, '|' ORDER BY x)), '') FROM (
		SELECT 'c' || id || state || updated_at FROM fraud_cases
		UNION ALL SELECT 'd' || id || decision FROM fraud_decisions
		UNION ALL SELECT 'v' || id || status || array_to_string(reasons, ',') FROM votes
		UNION ALL SELECT 'h' || edition_id || seq || hash FROM audit_heads
	) t(x)`).Scan(&fp)
	if err != nil {
		k.tb.Fatal(err)
	}
	return fp
}
