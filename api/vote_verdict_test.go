package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/voting"
)

// withIngest puts the ingest fraud scorer, on clock's time, on the vote
// path, and sets *cat to the vote path's catalogue.
func withIngest(clock *fake.Clock, cat **voting.Catalogue) fixtureOption {
	return func(c *api.Config) {
		svc := c.Votes.(*voting.Service)
		svc.Scorer = antifraud.NewIngest(svc.Catalogue, antifraud.IngestOptions{Now: clock.Now})
		*cat = svc.Catalogue
	}
}

// TestCastVote_VerdictNeverTells casts a vote the scorer counts, one it
// flags and one it rejects, and checks that the three answers are the same
// bytes, headers included, but for the vote id: nothing tells a suspect what
// was found.
func TestCastVote_VerdictNeverTells(t *testing.T) {
	var cat *voting.Catalogue
	f := newFixture(t, withIngest(fake.NewClock(t0), &cat))
	person := f.token(t, "42", api.RoleVoter)
	// A script: an account made a minute ago with a throwaway address,
	// voting the second it signed in, with a headless browser.
	bot := func(subject string) string {
		now := f.clock.Now()
		c := api.Claims{Role: api.RoleVoter, Since: now.Add(-time.Minute).Unix(), AuthTime: now.Add(-time.Second).Unix(),
			EmailClass: voting.EmailDisposable}
		c.Subject = subject
		tok, err := f.signer.IssueClaims(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cast := func(token, agent string) *httptest.ResponseRecorder {
		return f.do(t, request{
			method: http.MethodPost, path: "/api/v1/editions/demo/votes", body: `{"project_id":"p-c1-a"}`,
			token: token, headers: map[string]string{"Content-Type": "application/json", "User-Agent": agent},
		})
	}
	const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	const headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36"
	answers := []*httptest.ResponseRecorder{cast(person, chrome), cast(bot("43"), headless)}

	// The edition now rejects from 0.8, which the script's vote reaches.
	snap := cat.Snapshot()
	rejecting := snap.Editions()
	for i := range rejecting {
		rejecting[i].Rules.FraudRejectAt = 0.8
	}
	categories := map[string][]voting.Category{}
	for _, e := range rejecting {
		categories[e.ID] = snap.Categories(e.ID)
	}
	var projects []voting.Project
	for _, e := range rejecting {
		projects = append(projects, snap.Projects(e.ID, "")...)
	}
	cat.Replace(voting.NewSnapshot(rejecting, categories, projects))
	answers = append(answers, cast(bot("44"), headless))

	votes := f.log.recorded()
	if len(votes) != 3 {
		t.Fatalf("the log holds %d votes, want 3", len(votes))
	}
	for i, want := range []voting.Status{voting.StatusCounted, voting.StatusFlagged, voting.StatusRejected} {
		if votes[i].Status != want {
			t.Fatalf("vote %d recorded %s with %q; want %s", i, votes[i].Status, votes[i].Reasons, want)
		}
	}
	if v := votes[1]; v.Client.EmailClass != voting.EmailDisposable || v.Client.SignedInFor != time.Second {
		t.Errorf("the script's vote reached the scorer with email class %q, signed in %v before; want the token's",
			v.Client.EmailClass, v.Client.SignedInFor)
	}
	id := regexp.MustCompile(`"vote_id":"[^"]*"`)
	first := answers[0]
	for i, w := range answers {
		if w.Code != http.StatusAccepted {
			t.Fatalf("answer %d: %d %s", i, w.Code, w.Body)
		}
		if want := `"vote_id":` + strconv.Quote(votes[i].ID); !regexp.MustCompile(regexp.QuoteMeta(want)).Match(w.Body.Bytes()) {
			t.Errorf("answer %d does not carry its vote id: %s", i, w.Body)
		}
		if a, b := id.ReplaceAllString(w.Body.String(), ""), id.ReplaceAllString(first.Body.String(), ""); a != b {
			t.Errorf("answer %d to a %s vote differs from a counted one's: %s and %s", i, votes[i].Status, a, b)
		}
		if a, b := w.Header(), first.Header(); len(a) != len(b) {
			t.Errorf("answer %d has headers %v; a counted vote's are %v", i, a, b)
		}
		for k, v := range first.Header() {
			if got := w.Header()[k]; len(got) != len(v) || (len(v) > 0 && got[0] != v[0]) {
				t.Errorf("answer %d header %s = %q; a counted vote's is %q", i, k, got, v)
			}
		}
	}
}
