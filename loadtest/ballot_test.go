package loadtest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/wsisvote/prizes/loadtest"
)

// ballot returns voters and a ballot of categories × nominees.
func ballot(tb testing.TB, voters, categories, nominees int) ([]loadtest.Voter, []loadtest.Project) {
	tb.Helper()
	vs := make([]loadtest.Voter, voters)
	for i := range vs {
		vs[i] = loadtest.Voter{ID: int64(i + 1), Token: fmt.Sprintf("token-%d", i+1)}
	}
	var ps []loadtest.Project
	for c := range categories {
		for n := range nominees {
			ps = append(ps, loadtest.Project{ID: fmt.Sprintf("p-%d-%d", c, n), Category: fmt.Sprintf("C%d", c)})
		}
	}
	return vs, ps
}

func TestBallots_Next_oncePerCategory(t *testing.T) {
	for _, window := range []int{0, 1, 7, 101, 1000} {
		t.Run(fmt.Sprintf("window %d", window), func(t *testing.T) {
			testOncePerCategory(t, window)
		})
	}
}

func testOncePerCategory(t *testing.T, window int) {
	voters, projects := ballot(t, 101, 18, 20)
	inCategory := map[string]string{}
	for _, p := range projects {
		inCategory[p.ID] = p.Category
	}
	b, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 7, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 101*18 {
		t.Fatalf("Len = %d, want %d", b.Len(), 101*18)
	}
	// Eight goroutines drain the sequence together, as workers do.
	type slot struct {
		voter    int64
		category string
	}
	var mu sync.Mutex
	seen := map[slot]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				bl, ok := b.Next()
				if !ok {
					return
				}
				if got := inCategory[bl.ProjectID]; got != bl.Category {
					t.Errorf("ballot for %s in %s, but the project is in %q", bl.ProjectID, bl.Category, got)
				}
				mu.Lock()
				seen[slot{bl.Voter.ID, bl.Category}]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 101*18 {
		t.Errorf("%d distinct (voter, category) slots, want %d", len(seen), 101*18)
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("voter %d voted %d times in %s", s.voter, n, s.category)
		}
	}
	if _, ok := b.Next(); ok {
		t.Error("Next after the last ballot returned one")
	}
	if b.Used() != b.Len() {
		t.Errorf("Used = %d, want %d", b.Used(), b.Len())
	}
}

func TestBallots_At_window(t *testing.T) {
	voters, projects := ballot(t, 25, 4, 3)
	b, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Window: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Windows of 10, 10 and 5 voters: each window's voters cast all their
	// votes before the next window starts, and no voter votes twice in a row.
	windows := []struct{ from, to int64 }{{1, 10}, {11, 20}, {21, 25}}
	i := int64(0)
	var last int64
	for _, w := range windows {
		seen := map[int64]map[string]bool{}
		n := (w.to - w.from + 1) * 4
		for range n {
			bl := b.At(i)
			i++
			id := bl.Voter.ID
			if id < w.from || id > w.to {
				t.Fatalf("ballot %d is voter %d's, want a voter of window %d-%d", i-1, id, w.from, w.to)
			}
			if id == last {
				t.Errorf("ballot %d: voter %d votes twice in a row", i-1, id)
			}
			last = id
			if seen[id] == nil {
				seen[id] = map[string]bool{}
			}
			if seen[id][bl.Category] {
				t.Errorf("voter %d votes twice in %s", id, bl.Category)
			}
			seen[id][bl.Category] = true
		}
		for id, cats := range seen {
			if len(cats) != 4 {
				t.Errorf("voter %d voted in %d categories within its window, want 4", id, len(cats))
			}
		}
	}
	if i != b.Len() {
		t.Errorf("windows cover %d ballots, want %d", i, b.Len())
	}
}

func TestBallots_At_skewed(t *testing.T) {
	voters, projects := ballot(t, 20_000, 3, 20)
	b, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int{}
	for i := range b.Len() {
		bl := b.At(i)
		if counts[bl.Category] == nil {
			counts[bl.Category] = map[string]int{}
		}
		counts[bl.Category][bl.ProjectID]++
	}
	var favourites []string
	for cat, byProject := range counts {
		var ns []int
		fav, top := "", 0
		for p, n := range byProject {
			ns = append(ns, n)
			if n > top {
				fav, top = p, n
			}
		}
		favourites = append(favourites, fav)
		slices.Sort(ns)
		total := len(voters)
		even := total / 20
		// With weights 1/k over 20 projects the favourite takes about 28%
		// and the least popular about 1.4%; even choices would give 5% each.
		if top < 4*even {
			t.Errorf("%s: favourite has %d of %d votes, want at least %d: popularity is not skewed", cat, top, total, 4*even)
		}
		if ns[0] > even/2 {
			t.Errorf("%s: least popular has %d votes, want at most %d", cat, ns[0], even/2)
		}
	}
	// Each category's favourite is chosen by the seed, not by listing order.
	slices.Sort(favourites)
	if favourites[0] == "p-0-0" && favourites[1] == "p-1-0" && favourites[2] == "p-2-0" {
		t.Errorf("the favourite of every category is its first listed project: %v", favourites)
	}
}

func TestBallots_At_deterministic(t *testing.T) {
	voters, projects := ballot(t, 50, 4, 10)
	a, _ := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 9})
	b, _ := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 9})
	c, _ := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 10})
	differ := 0
	for i := range a.Len() {
		if a.At(i) != b.At(i) {
			t.Fatalf("ballot %d differs between two sequences with the same seed", i)
		}
		if a.At(i).ProjectID != c.At(i).ProjectID {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed chose exactly the same projects")
	}
}

func TestBallots_Next_repeat(t *testing.T) {
	voters, projects := ballot(t, 3, 2, 2)
	b, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * b.Len() {
		bl, ok := b.Next()
		if !ok {
			t.Fatalf("a repeating sequence ended after %d ballots", i)
		}
		if want := b.At(i % b.Len()); bl != want {
			t.Fatalf("ballot %d = %+v, want %+v", i, bl, want)
		}
	}
}

func TestNewBallots_invalid(t *testing.T) {
	voters, projects := ballot(t, 2, 2, 2)
	cases := []struct {
		name     string
		voters   []loadtest.Voter
		projects []loadtest.Project
		opts     loadtest.BallotOptions
	}{
		{"no voters", nil, projects, loadtest.BallotOptions{}},
		{"no projects", voters, nil, loadtest.BallotOptions{}},
		{"project without category", voters, []loadtest.Project{{ID: "x"}}, loadtest.BallotOptions{}},
		{"negative skew", voters, projects, loadtest.BallotOptions{Skew: -1}},
		{"negative window", voters, projects, loadtest.BallotOptions{Window: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := loadtest.NewBallots(tc.voters, tc.projects, tc.opts); err == nil {
				t.Error("NewBallots succeeded, want an error")
			}
		})
	}
}
