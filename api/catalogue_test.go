package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

type projectsBody struct {
	Edition  string `json:"edition"`
	Order    string `json:"order"`
	Projects []struct {
		ID           string   `json:"id"`
		Category     string   `json:"category"`
		Title        string   `json:"title"`
		Organisation string   `json:"organisation"`
		Country      string   `json:"country"`
		Summary      string   `json:"summary"`
		Links        []string `json:"links"`
	} `json:"projects"`
}

func (b projectsBody) ids() []string {
	ids := []string{}
	for _, p := range b.Projects {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestProjects: the nominees of an edition or of one category, drafts left
// out, categories in the catalogue's order.
func TestProjects(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []string // project ids, sorted within each category
	}{
		{"every nominee", "/api/v1/editions/demo/projects", []string{"p-c1-a", "p-c1-b", "p-c2-a"}},
		{"one category", "/api/v1/editions/demo/projects?category=C1", []string{"p-c1-a", "p-c1-b"}},
		{"empty category means all", "/api/v1/editions/demo/projects?category=", []string{"p-c1-a", "p-c1-b", "p-c2-a"}},
		{"category without nominees", "/api/v1/editions/closed/projects?category=C2", []string{}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, request{path: tt.path})
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			var got projectsBody
			decode(t, w, &got)
			if got.Projects == nil {
				t.Error("projects is null, want a list")
			}
			// The ballot order is random within a category; categories are
			// not mixed and follow the catalogue.
			cats := []string{}
			for _, p := range got.Projects {
				cats = append(cats, p.Category)
			}
			ids := got.ids()
			slices.Sort(ids)
			if !slices.Equal(ids, tt.want) || !slices.IsSorted(cats) {
				t.Errorf("projects = %v in categories %v, want %v in some order within each category", got.ids(), cats, tt.want)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		w := f.do(t, request{path: "/api/v1/editions/demo/projects?category=C2"})
		var got projectsBody
		decode(t, w, &got)
		if got.Edition != "demo" || got.Order != "day" || len(got.Projects) != 1 {
			t.Fatalf("body = %+v", got)
		}
		p := got.Projects[0]
		if p.ID != "p-c2-a" || p.Category != "C2" || p.Title != "Charlie" || p.Organisation != "Org C" || p.Country != "BR" ||
			p.Summary != "Fibre to every school." || !slices.Equal(p.Links, []string{"https://charlie.example"}) {
			t.Errorf("project = %+v", p)
		}
	})
}

// ballotFixture is a handler whose catalogue has one category of n
// nominees, with a known ballot key.
func ballotFixture(t *testing.T, n int) (*fixture, []byte, []voting.Project) {
	t.Helper()
	key := []byte("a ballot key of the test, 32 by.")
	ps := make([]voting.Project, n)
	for i := range ps {
		ps[i] = voting.Project{ID: fmt.Sprintf("p%02d", i), Edition: "big", Category: "C1", Title: fmt.Sprintf("Project %d", i), Nominated: true}
	}
	snap := voting.NewSnapshot(
		[]voting.Edition{{ID: "big", Name: "Big", Phase: voting.PhaseVoting, Rules: voting.DefaultRules()}},
		map[string][]voting.Category{"big": {{Code: "C1", Name: "Governments"}}}, ps)
	f := newFixture(t, func(c *api.Config) {
		c.Catalogue = voting.NewCatalogue(snap)
		c.BallotKey = key
	})
	return f, key, ps
}

// TestProjects_ballotOrder: a signed-in voter gets the order
// voting.BallotOrder gives their id under the edition's key, the same on
// every request; over many voters every position is equally likely for
// every project (a chi-square test), so the order favours no one; anonymous
// readers and staff share the day's order; a bad token is refused rather
// than given another order.
func TestProjects_ballotOrder(t *testing.T) {
	const nominees, voters = 12, 1200
	f, key, ps := ballotFixture(t, nominees)
	get := func(t *testing.T, token string) projectsBody {
		t.Helper()
		w := f.do(t, request{path: "/api/v1/editions/big/projects?category=C1", token: token})
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
		}
		var b projectsBody
		decode(t, w, &b)
		return b
	}
	edKey := voting.EditionBallotKey(key, "big")
	ids := func(ps []voting.Project) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}

	t.Run("voters", func(t *testing.T) {
		position := map[string][]int{} // project -> count per position
		for _, p := range ps {
			position[p.ID] = make([]int, nominees)
		}
		orders := map[string]bool{}
		for v := range voters {
			tok := f.token(t, strconv.Itoa(1000+v), "voter")
			got := get(t, tok)
			if got.Order != "voter" {
				t.Fatalf("order = %q, want voter", got.Order)
			}
			want := ids(voting.BallotOrder(edKey, "C1", "voter:"+strconv.Itoa(1000+v), ps))
			if !slices.Equal(got.ids(), want) {
				t.Fatalf("voter %d sees %v, want %v", v, got.ids(), want)
			}
			if v < 20 && !slices.Equal(get(t, tok).ids(), want) {
				t.Fatalf("voter %d sees another order on a second request", v)
			}
			orders[fmt.Sprint(got.ids())] = true
			for i, id := range got.ids() {
				position[id][i]++
			}
		}
		if len(orders) < voters*9/10 {
			t.Errorf("%d voters saw only %d distinct orders", voters, len(orders))
		}
		// Each project's positions: 11 degrees of freedom, whose 99.99th
		// percentile is 38.1. The key and voters are fixed, so the outcome
		// is too; another key would fail a fair order about once in 800.
		expected := float64(voters) / nominees
		for id, counts := range position {
			var chi2 float64
			for _, n := range counts {
				d := float64(n) - expected
				chi2 += d * d / expected
			}
			if chi2 > 38.1 {
				t.Errorf("project %s: positions %v, chi-square %.1f > 38.1 (11 degrees of freedom)", id, counts, chi2)
			}
		}
	})

	t.Run("anonymous and staff share the day's order", func(t *testing.T) {
		anon := get(t, "")
		if anon.Order != "day" {
			t.Fatalf("order = %q, want day", anon.Order)
		}
		if again := get(t, ""); !slices.Equal(again.ids(), anon.ids()) {
			t.Errorf("anonymous orders differ between requests: %v, %v", anon.ids(), again.ids())
		}
		staff := get(t, f.token(t, "7", "organiser"))
		if staff.Order != "day" || !slices.Equal(staff.ids(), anon.ids()) {
			t.Errorf("organiser sees %s order %v, want the day's %v", staff.Order, staff.ids(), anon.ids())
		}
	})

	t.Run("a bad token is refused", func(t *testing.T) {
		wantError(t, f.do(t, request{path: "/api/v1/editions/big/projects", token: "not-a-token"}), http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("a voter's order is not cached by others", func(t *testing.T) {
		w := f.do(t, request{path: "/api/v1/editions/big/projects", token: f.token(t, "1", "voter")})
		if cc := w.Header().Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("Cache-Control = %q, want private, no-store", cc)
		}
	})
}

func TestProjects_Errors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
	}{
		{"unknown edition", "/api/v1/editions/nope/projects", 404, "unknown_edition"},
		{"unknown category", "/api/v1/editions/demo/projects?category=C99", 404, "unknown_category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(t, request{path: tt.path}), tt.wantStatus, tt.wantCode)
		})
	}
}
