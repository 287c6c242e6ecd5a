package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// lifecycleRoute is the specification of one lifecycle route: who may call
// it (nil roles: anyone) and in which phases (nil phases: any, or not
// phase-bound).
type lifecycleRoute struct {
	method, path string
	roles        []string
}

var (
	organiserOnly = []string{api.RoleOrganiser}
	ownerOnly     = []string{api.RoleOwner}
	jurorOnly     = []string{api.RoleJuror}
)

// lifecycleRoutes is every prize lifecycle route and its policy.
var lifecycleRoutes = []lifecycleRoute{
	{"GET", "/api/v1/editions", nil},
	{"POST", "/api/v1/editions", organiserOnly},
	{"GET", "/api/v1/editions/:edition", nil},
	{"PATCH", "/api/v1/editions/:edition/rules", organiserOnly},
	{"PUT", "/api/v1/editions/:edition/schedule", organiserOnly},
	{"POST", "/api/v1/editions/:edition/phase", organiserOnly},
	{"GET", "/api/v1/editions/:edition/submissions", ownerOnly},
	{"POST", "/api/v1/editions/:edition/submissions", ownerOnly},
	{"GET", "/api/v1/editions/:edition/submissions/:id", ownerOnly},
	{"PUT", "/api/v1/editions/:edition/submissions/:id", ownerOnly},
	{"POST", "/api/v1/editions/:edition/submissions/:id/submit", ownerOnly},
	{"POST", "/api/v1/editions/:edition/submissions/:id/withdraw", ownerOnly},
	{"GET", "/api/v1/editions/:edition/review", organiserOnly},
	{"POST", "/api/v1/editions/:edition/review", organiserOnly},
	{"GET", "/api/v1/editions/:edition/champions", nil},
	{"GET", "/api/v1/editions/:edition/champions/preview", organiserOnly},
	{"POST", "/api/v1/editions/:edition/ties", organiserOnly},
	{"GET", "/api/v1/editions/:edition/jury/assignments", organiserOnly},
	{"PUT", "/api/v1/editions/:edition/jury/assignments", organiserOnly},
	{"DELETE", "/api/v1/editions/:edition/jury/assignments/:juror/:category", organiserOnly},
	{"GET", "/api/v1/editions/:edition/jury/report", organiserOnly},
	{"GET", "/api/v1/editions/:edition/jury/me", jurorOnly},
	{"POST", "/api/v1/editions/:edition/jury/conflicts", jurorOnly},
	{"PUT", "/api/v1/editions/:edition/jury/scores/:project", jurorOnly},
	{"POST", "/api/v1/editions/:edition/jury/scores/:project/submit", jurorOnly},
	{"GET", "/api/v1/editions/:edition/results", nil},
	{"GET", "/api/v1/editions/:edition/results.csv", nil},
	{"GET", "/api/v1/editions/:edition/ledger.jsonl", nil},
	{"GET", "/api/v1/editions/:edition/log/checkpoint", nil},
	{"GET", "/api/v1/editions/:edition/log/proof/inclusion", nil},
	{"GET", "/api/v1/editions/:edition/log/proof/consistency", nil},
	{"GET", "/api/v1/editions/:edition/audit", organiserOnly},
	{"GET", "/api/v1/editions/:edition/audit/verify", organiserOnly},
	{"GET", "/api/v1/editions/:edition/activity", organiserOnly},
	{"GET", "/api/v1/editions/:edition/submissions/:id/files", ownerOnly},
	{"POST", "/api/v1/editions/:edition/submissions/:id/files", ownerOnly},
	{"DELETE", "/api/v1/editions/:edition/submissions/:id/files/:file", ownerOnly},
	{"GET", "/api/v1/editions/:edition/files/:hash", nil},
	{"GET", "/api/v1/editions/:edition/entries.csv", organiserOnly},
	{"GET", "/api/v1/editions/:edition/entries.zip", organiserOnly},
}

// isLifecycle tells the lifecycle's routes from the vote path's.
func isLifecycle(path string) bool {
	for _, vote := range []string{"/votes", "/projects", "/tally"} {
		if strings.HasSuffix(path, vote) {
			return false
		}
	}
	return strings.HasPrefix(path, "/api/v1/editions")
}

// TestPrizes_policies: every lifecycle route is served with the policy of
// the specification (a GET route for HEAD too), no token is refused with
// 401, a valid token of every role a route is not for with 403, and
// neither changes anything.
func TestPrizes_policies(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/jury/assignments"), map[string]any{"juror_id": k.ids["juror"], "category": "C1"}, nil)
	k.setPhase(voting.PhaseSubmission)
	project := k.submitted("owner", "C1", "Alpha")

	served := map[string]bool{}
	for _, r := range k.handler.Routes() {
		if isLifecycle(r.Path) {
			served[r.Method+" "+r.Path] = true
		}
	}
	specs := slices.Clone(lifecycleRoutes)
	for _, spec := range lifecycleRoutes {
		if spec.method == http.MethodGet {
			specs = append(specs, lifecycleRoute{http.MethodHead, spec.path, spec.roles})
		}
	}
	for _, spec := range specs {
		key := spec.method + " " + spec.path
		if !served[key] {
			t.Errorf("%s is not served", key)
			continue
		}
		delete(served, key)
		p, ok := k.handler.Policy(spec.method, spec.path)
		if !ok || p.Public != (spec.roles == nil) || !slices.Equal(p.Roles, spec.roles) {
			t.Errorf("%s has policy %+v; want roles %v", key, p, spec.roles)
		}
	}
	for key := range served {
		t.Errorf("%s is served but not in the specification", key)
	}

	path := strings.NewReplacer(":edition", k.edition, ":id", project, ":project", project,
		":juror", strconv.FormatInt(k.ids["juror"], 10), ":category", "C1", ":file", project)
	for _, spec := range specs {
		if spec.roles == nil {
			continue
		}
		for _, as := range []string{"", "voter", "owner", "juror", "organiser"} {
			role := map[string]string{"voter": api.RoleVoter, "owner": api.RoleOwner, "juror": api.RoleJuror, "organiser": api.RoleOrganiser}[as]
			if slices.Contains(spec.roles, role) {
				continue
			}
			status, code := http.StatusForbidden, "forbidden"
			if as == "" {
				status, code = http.StatusUnauthorized, "unauthenticated"
			}
			before := k.fingerprint()
			w := k.call(as, spec.method, strings.TrimPrefix(path.Replace(spec.path), "/api/v1"), `{}`)
			if w.Code != status {
				t.Errorf("%s %s as %q: %d %s; want %d", spec.method, spec.path, as, w.Code, w.Body, status)
			} else {
				wantError(t, w, status, code)
			}
			if k.fingerprint() != before {
				t.Errorf("%s %s as %q changed something", spec.method, spec.path, as)
			}
		}
	}
}

// phaseCall is one request of the wrong-phase test and the phases it is
// allowed in.
type phaseCall struct {
	name, as, method, path string
	body                   any
	allowed                []voting.Phase
}

// TestPrizes_wrongPhase calls every phase-bound route in every phase: outside
// its phases the answer is 409 wrong_phase naming the current phase, and
// nothing changes; inside them it is anything but wrong_phase.
func TestPrizes_wrongPhase(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/jury/assignments"), map[string]any{"juror_id": k.ids["juror"], "category": "C1"}, nil)
	k.setPhase(voting.PhaseSubmission)
	submitted := k.submitted("owner", "C1", "Alpha")
	var draft entryJSON
	k.must(http.StatusCreated, "owner", "POST", k.ed("/submissions"), entryBody("C1", "Bravo"), &draft)

	const (
		draftP, submission, review = voting.PhaseDraft, voting.PhaseSubmission, voting.PhaseReview
		votingP, counting, jury    = voting.PhaseVoting, voting.PhaseCounting, voting.PhaseJury
		published                  = voting.PhasePublished
	)
	until := func(last voting.Phase) []voting.Phase {
		all := prizes.Phases()
		return all[:slices.Index(all, last)+1]
	}
	calls := []phaseCall{
		{"rules", "organiser", "PATCH", "/rules", `{"public_tally":false}`, []voting.Phase{draftP, submission, review}},
		{"schedule", "organiser", "PUT", "/schedule", `{}`, until(jury)},
		{"publish", "organiser", "POST", "/phase", `{"phase":"published"}`, []voting.Phase{jury}},
		{"create entry", "owner", "POST", "/submissions", entryBody("C2", "Charlie"), []voting.Phase{submission}},
		{"edit entry", "owner", "PUT", "/submissions/" + draft.ID, entryBody("C1", "Bravo"), []voting.Phase{submission}},
		{"submit entry", "owner", "POST", "/submissions/" + draft.ID + "/submit", nil, []voting.Phase{submission}},
		{"withdraw entry", "owner", "POST", "/submissions/" + draft.ID + "/withdraw", nil, []voting.Phase{submission, review}},
		{"review queue", "organiser", "GET", "/review?category=C1", nil, []voting.Phase{submission, review}},
		{"review", "organiser", "POST", "/review", map[string]any{"decisions": []prizes.ReviewDecision{{ProjectID: submitted, Decision: "nominate"}}}, []voting.Phase{review}},
		{"preview Champions", "organiser", "GET", "/champions/preview", nil, []voting.Phase{counting}},
		{"Champions", "", "GET", "/champions", nil, []voting.Phase{jury, published}},
		{"Champion tie", "organiser", "POST", "/ties", map[string]any{"stage": "champions", "category": "C1",
			"order": []string{submitted, draft.ID}, "reason": "lot"}, []voting.Phase{counting}},
		{"Winner tie", "organiser", "POST", "/ties", map[string]any{"stage": "winners", "category": "C1",
			"order": []string{submitted, draft.ID}, "reason": "lot"}, []voting.Phase{jury}},
		{"assign juror", "organiser", "PUT", "/jury/assignments", map[string]any{"juror_id": k.ids["juror2"], "category": "C2"}, until(jury)},
		{"unassign juror", "organiser", "DELETE", "/jury/assignments/" + strconv.FormatInt(k.ids["juror2"], 10) + "/C2", nil, until(counting)},
		{"jury report", "organiser", "GET", "/jury/report", nil, []voting.Phase{jury, published}},
		{"declare conflict", "juror", "POST", "/jury/conflicts", map[string]any{"project_id": submitted, "reason": "former employer"},
			[]voting.Phase{votingP, counting, jury}},
		{"save scores", "juror", "PUT", "/jury/scores/" + submitted, map[string]any{"scores": map[string]int{"impact": 5}}, []voting.Phase{jury}},
		{"submit scores", "juror", "POST", "/jury/scores/" + submitted + "/submit", nil, []voting.Phase{jury}},
	}
	for _, c := range calls {
		for _, p := range prizes.Phases() {
			k.setPhase(p)
			before := k.fingerprint()
			w := k.call(c.as, c.method, k.ed(c.path), c.body)
			var e errorResponse
			_ = json.Unmarshal(w.Body.Bytes(), &e) // a non-JSON answer leaves e empty
			if slices.Contains(c.allowed, p) {
				if e.Error.Code == "wrong_phase" {
					t.Errorf("%s in %s: refused as wrong phase: %s", c.name, p, w.Body)
				}
				continue
			}
			if w.Code != http.StatusConflict || e.Error.Code != "wrong_phase" || !strings.Contains(e.Error.Message, "is in phase "+string(p)) {
				t.Errorf("%s in %s: %d %s; want 409 wrong_phase naming phase %s", c.name, p, w.Code, w.Body, p)
			}
			if k.fingerprint() != before {
				t.Errorf("%s in %s: refused, yet something changed", c.name, p)
			}
		}
	}

	// Advancing names the next phase; any other is a wrong phase.
	k.setPhase(review)
	before := k.fingerprint()
	for _, to := range []string{"submission", "review", "counting", "published"} {
		w := k.call("organiser", "POST", k.ed("/phase"), map[string]string{"phase": to})
		wantError(t, w, http.StatusConflict, "wrong_phase")
	}
	wantError(t, k.call("organiser", "POST", k.ed("/phase"), `{"phase":"party"}`), http.StatusUnprocessableEntity, "invalid_request")
	if k.fingerprint() != before {
		t.Fatal("a refused advance changed something")
	}
}

// TestPrizes_forbidden: on an organiser route, a caller whose token is
// valid but lacks the role is told 403 forbidden, which signing in again
// cannot fix; no token, an expired one or a forged one is 401.
func TestPrizes_forbidden(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	organiser := strconv.FormatInt(k.ids["organiser"], 10)
	_, key := testKey(t, 7)
	past, err := api.NewSigner(testKid, key, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	if k.tokens["expired"], err = past.Issue(organiser, api.RoleOrganiser, time.Time{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	_, other := testKey(t, 9)
	forger, err := api.NewSigner(testKid, other, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if k.tokens["forged"], err = forger.Issue(organiser, api.RoleOrganiser, time.Time{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		as     string
		status int
		code   string
	}{
		{"voter", http.StatusForbidden, "forbidden"},
		{"owner", http.StatusForbidden, "forbidden"},
		{"juror", http.StatusForbidden, "forbidden"},
		{"", http.StatusUnauthorized, "unauthenticated"},
		{"expired", http.StatusUnauthorized, "unauthenticated"},
		{"forged", http.StatusUnauthorized, "unauthenticated"},
		{"organiser", http.StatusOK, ""},
	}
	for _, path := range []string{"/audit", "/audit/verify"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			for _, tt := range tests {
				w := k.call(tt.as, method, k.ed(path), nil)
				if tt.code != "" {
					wantError(t, w, tt.status, tt.code)
				} else if w.Code != tt.status {
					t.Errorf("%s %s as %q: %d %s; want %d", method, path, tt.as, w.Code, w.Body, tt.status)
				}
			}
		}
	}
}
