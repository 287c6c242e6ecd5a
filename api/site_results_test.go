package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
)

// fixedResults is a ResultStore holding one edition's signed results.
type fixedResults struct{ signed prizes.SignedResults }

func (r fixedResults) Results(_ context.Context, edition string) (prizes.SignedResults, error) {
	if edition != "done" {
		return prizes.SignedResults{}, prizes.ErrNotPublished
	}
	return r.signed, nil
}

// publishedFixture serves the site with edition "done" published: one
// category, its Winner and two standings.
func publishedFixture(tb testing.TB) *fixture {
	tb.Helper()
	doc, err := json.Marshal(prizes.Results{Format: prizes.ResultsFormat, Edition: "done", Name: "Done 2025",
		PublishedAt: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC),
		Categories: []prizes.CategoryResult{{Code: "C1", Name: "Governments",
			Champions: prizes.CategoryChampions{Category: "C1", Places: 1, Nominees: []prizes.NomineeStanding{
				{ProjectID: "d-a", Title: "Alpha", Votes: 1234567, Rank: 1, Champion: true},
				{ProjectID: "d-b", Title: "Bravo", Votes: 89, Rank: 2},
			}},
			Winners: []prizes.Winner{{ProjectID: "d-a", Title: "Alpha", Organisation: "Org A", Country: "CH"}},
		}},
		Transparency: &transparency.Summary{Origin: transparency.Origin("done"), Size: 1234656}})
	if err != nil {
		tb.Fatal(err)
	}
	withPublished := func(c *api.Config) {
		snap := voting.NewSnapshot(
			[]voting.Edition{{ID: "done", Name: "Done 2025", Phase: voting.PhasePublished}, {ID: "demo", Name: "Demo 2026", Phase: voting.PhaseVoting}},
			map[string][]voting.Category{"done": {{Code: "C1", Name: "Governments"}}, "demo": {{Code: "C1", Name: "Governments"}}},
			[]voting.Project{{ID: "d-a", Edition: "done", Category: "C1", Title: "Alpha", Nominated: true}})
		c.Catalogue = voting.NewCatalogue(snap)
		c.Site.Results = fixedResults{prizes.SignedResults{Document: doc, Digest: "abc123"}}
	}
	return newFixture(tb, withSite("done"), withIdentity(tb, fakeConfig(&fakeIdentity{})), withPublished)
}

func TestSite_results(t *testing.T) {
	f := publishedFixture(t)
	wantPage(t, f.do(t, request{path: "/en/done"}), http.StatusOK, `href="/en/done/results"`)
	wantPage(t, f.do(t, request{path: "/en/done/results"}), http.StatusOK,
		"Winner", "Alpha", "1,234,567", `<meter min="0" max="1234567" value="89"`, "Champion", "abc123",
		`href="/api/v1/editions/done/results.csv"`, `href="/api/v1/editions/done/ledger.jsonl"`, `href="/en/done/check-vote"`)
	wantPage(t, f.do(t, request{path: "/fr/done/results"}), http.StatusOK, "Lauréat", "1\u00a0234\u00a0567")
	wantPage(t, f.do(t, request{path: "/en/demo/results"}), http.StatusOK, "The results are published once")
}

func TestSite_liveTally(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	// demo publishes its live counts (p-c1-b 9, p-c1-a 5); secret does not.
	w := f.do(t, request{path: "/en/demo/tally"})
	wantPage(t, w, http.StatusOK, "16 votes so far.", `value="9"`)
	if b := w.Body.String(); strings.Index(b, "Bravo") > strings.Index(b, "Alpha") {
		t.Error("the live count does not list the most voted first")
	}
	hidden := f.do(t, request{path: "/en/secret/tally"})
	wantPage(t, hidden, http.StatusOK, "does not show counts while voting is open")
	if strings.Contains(hidden.Body.String(), "<meter") {
		t.Error("a hidden tally shows counts")
	}
}
