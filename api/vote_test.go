package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

func TestCastVote_Accepted(t *testing.T) {
	f := newFixture(t)
	w := f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202 (body %s)", w.Code, w.Body)
	}
	var got struct {
		VoteID   string `json:"vote_id"`
		Status   string `json:"status"`
		Category string `json:"category"`
	}
	decode(t, w, &got)
	if got.VoteID == "" || got.Status != "accepted" || got.Category != "C1" {
		t.Errorf("receipt = %+v, want a vote id, status accepted, category C1", got)
	}
	votes := f.log.recorded()
	if len(votes) != 1 {
		t.Fatalf("log holds %d votes, want 1", len(votes))
	}
	v := votes[0]
	if v.ID != got.VoteID || v.VoterID != 42 || v.Edition != "demo" || v.ProjectID != "p-c1-a" || v.Slot != "C1" {
		t.Errorf("recorded vote = %+v, does not match the request", v)
	}
	if want := 365 * 24 * time.Hour; v.Client.AccountAge != want {
		t.Errorf("account age = %v, want %v (from the token's since claim)", v.Client.AccountAge, want)
	}
	if r := f.obs.lastResult(); r != "accepted" {
		t.Errorf("observed result = %q, want accepted", r)
	}
	if logs := f.logs.String(); logs != "" {
		t.Errorf("an accepted vote was logged: %s", logs)
	}
}

func TestCastVote_Errors(t *testing.T) {
	votePath := func(edition string) string { return "/api/v1/editions/" + edition + "/votes" }
	jsonCT := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name    string
		setup   func(tb testing.TB, f *fixture)
		edition string            // "" is demo
		body    string            // "" is a valid vote, "-" is no body at all
		headers map[string]string // nil is a JSON content type
		// token is the bearer token; nil means a valid voter token.
		token      func(tb testing.TB, f *fixture) string
		wantStatus int
		wantCode   string
	}{
		{name: "missing token", token: func(testing.TB, *fixture) string { return "" },
			wantStatus: 401, wantCode: "unauthenticated"},
		{name: "garbage token", token: func(testing.TB, *fixture) string { return "not.a.token" },
			wantStatus: 401, wantCode: "unauthenticated"},
		{name: "organiser token", token: func(tb testing.TB, f *fixture) string { return f.token(tb, "42", api.RoleOrganiser) },
			wantStatus: 403, wantCode: "forbidden"},
		{name: "subject not a voter id", token: func(tb testing.TB, f *fixture) string { return f.token(tb, "alice", api.RoleVoter) },
			wantStatus: 401, wantCode: "unauthenticated"},
		{name: "subject zero", token: func(tb testing.TB, f *fixture) string { return f.token(tb, "0", api.RoleVoter) },
			wantStatus: 401, wantCode: "unauthenticated"},
		{name: "voting closed", edition: "closed", body: `{"project_id":"q-c1-a"}`,
			wantStatus: 403, wantCode: "voting_closed"},
		{name: "unknown project", body: `{"project_id":"p-nope"}`,
			wantStatus: 404, wantCode: "unknown_project"},
		{name: "unknown edition", edition: "nope", body: `{"project_id":"p-c1-a"}`,
			wantStatus: 404, wantCode: "unknown_edition"},
		{name: "duplicate vote in the category",
			setup: func(tb testing.TB, f *fixture) {
				if w := f.vote(tb, "demo", "p-c1-b", f.token(tb, "42", api.RoleVoter)); w.Code != http.StatusAccepted {
					tb.Fatalf("first vote: status %d", w.Code)
				}
			},
			wantStatus: 409, wantCode: "duplicate_vote"},
		{name: "not nominated", body: `{"project_id":"p-draft"}`,
			wantStatus: 422, wantCode: "not_nominated"},
		{name: "malformed JSON", body: `{"project_id":`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "unknown field", body: `{"project_id":"p-c1-a","extra":1}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "wrong type", body: `{"project_id":7}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "array body", body: `["p-c1-a"]`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "trailing data", body: `{"project_id":"p-c1-a"}{}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "missing project_id", body: `{}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "empty project_id", body: `{"project_id":""}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "null body", body: `null`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "empty body", body: "-", wantStatus: 422, wantCode: "invalid_request"},
		{name: "body over the limit", body: `{"project_id":"p-c1-a"}` + strings.Repeat(" ", api.MaxVoteBody),
			wantStatus: 422, wantCode: "invalid_request"},
		{name: "project_id too long", body: `{"project_id":"` + strings.Repeat("a", api.MaxProjectID+1) + `"}`,
			wantStatus: 422, wantCode: "invalid_request"},
		{name: "key in another case", body: `{"Project_ID":"p-c1-a"}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "duplicate key", body: `{"project_id":"p-c1-a","project_id":"p-c1-b"}`, wantStatus: 422, wantCode: "invalid_request"},
		{name: "invalid UTF-8", body: "{\"project_id\":\"p-c1-a\xff\"}", wantStatus: 422, wantCode: "invalid_request"},
		{name: "no content type", headers: map[string]string{},
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "wrong content type", headers: map[string]string{"Content-Type": "text/plain"},
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "UTF-16 charset", headers: map[string]string{"Content-Type": "application/json; charset=utf-16"},
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "store unavailable",
			setup:      func(_ testing.TB, f *fixture) { f.log.failWith(fmt.Errorf("append: %w", kind.ErrUnavailable)) },
			wantStatus: 503, wantCode: "unavailable"},
		{name: "store failure",
			setup:      func(_ testing.TB, f *fixture) { f.log.failWith(errors.New("append: disk on fire")) },
			wantStatus: 500, wantCode: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			edition, body, headers := tt.edition, tt.body, tt.headers
			if edition == "" {
				edition = "demo"
			}
			switch body {
			case "":
				body = `{"project_id":"p-c1-a"}`
			case "-":
				body = ""
			}
			if headers == nil {
				headers = jsonCT
			}
			token := f.token(t, "42", api.RoleVoter)
			if tt.token != nil {
				token = tt.token(t, f)
			}
			before := len(f.log.recorded())

			w := f.do(t, request{method: http.MethodPost, path: votePath(edition), body: body, token: token, headers: headers})

			wantError(t, w, tt.wantStatus, tt.wantCode)
			if got := len(f.log.recorded()); got != before {
				t.Errorf("log holds %d votes after the error, want %d", got, before)
			}
			if ra := w.Header().Get("Retry-After"); (tt.wantStatus == 503) != (ra == "1") {
				t.Errorf("Retry-After = %q on a %d", ra, tt.wantStatus)
			}
			if r := f.obs.lastResult(); r != tt.wantCode {
				t.Errorf("observed result = %q, want %q", r, tt.wantCode)
			}
		})
	}
}

// TestCastVote_LogsServerErrorsOnly checks that client mistakes are answered
// without a log line and server failures are logged.
func TestCastVote_LogsServerErrorsOnly(t *testing.T) {
	f := newFixture(t)
	logs := f.logs
	tok := f.token(t, "42", api.RoleVoter)

	f.vote(t, "demo", "p-draft", tok)
	f.vote(t, "nope", "p-c1-a", tok)
	f.vote(t, "demo", "p-c1-a", "")
	if got := logs.String(); got != "" {
		t.Fatalf("4xx answers were logged: %s", got)
	}

	f.log.failWith(errors.New("append: disk on fire"))
	f.vote(t, "demo", "p-c1-a", tok)
	if got := logs.String(); !strings.Contains(got, "disk on fire") {
		t.Errorf("500 was not logged with its cause; log: %q", got)
	}
}

// TestCastVote_OnePerCategory checks the slot rule end to end: a second vote
// in another category is accepted, in the same category refused.
func TestCastVote_OnePerCategory(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "7", api.RoleVoter)
	other := f.token(t, "8", api.RoleVoter)
	steps := []struct {
		project string
		token   string
		want    int
	}{
		{"p-c1-a", tok, http.StatusAccepted},
		{"p-c2-a", tok, http.StatusAccepted},
		{"p-c1-b", tok, http.StatusConflict},
		{"p-c1-b", other, http.StatusAccepted},
	}
	for i, s := range steps {
		if w := f.vote(t, "demo", s.project, s.token); w.Code != s.want {
			t.Errorf("step %d (%s): status = %d, want %d", i, s.project, w.Code, s.want)
		}
	}
	if n := len(f.log.recorded()); n != 3 {
		t.Errorf("log holds %d votes, want 3", n)
	}
}

func TestCastVote_Panic(t *testing.T) {
	f := newFixture(t, func(c *api.Config) {
		c.Votes = casterFunc(func(voting.Ballot) (voting.Receipt, error) { panic("bug") })
	})
	logs := f.logs
	w := f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter))
	wantError(t, w, http.StatusInternalServerError, "internal")
	if !strings.Contains(logs.String(), "bug") {
		t.Errorf("panic was not logged; log: %q", logs.String())
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("security headers missing on a recovered panic")
	}
}
