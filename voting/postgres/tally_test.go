package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/voting"
)

// TestStore_Tallies: counted and flagged votes count, voter countries are
// distinct and known ones only, the final count time is the last counted
// vote's, and the complete-ballot rule keeps only voters who voted in every
// category.
func TestStore_Tallies(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	country := map[int64]string{}
	for i, c := range []string{"KE", "KE", "BR", ""} {
		a, err := ipostgres.New(s.Pool()).EnsureAccount(ctx, "v"+string(rune('a'+i))+"@example.org", "", c)
		if err != nil {
			t.Fatal(err)
		}
		country[a.ID] = c
	}
	var ids []int64
	for id := range country {
		ids = append(ids, id)
	}
	p := projects[0] // first category
	var votes []voting.Vote
	for i, id := range ids {
		v := vote(id, p)
		v.CastAt = time.Date(2026, 5, 1, 12, i, 0, 0, time.UTC)
		if i == len(ids)-1 {
			v.Status = voting.StatusInvalidated
		}
		votes = append(votes, v)
	}
	// One voter votes in every category: their ballot is complete.
	complete := ids[0]
	for _, q := range projects[3:] {
		if q.Category != p.Category && q.ID == firstOf(projects, q.Category) {
			votes = append(votes, vote(complete, q))
		}
	}
	if _, err := s.Insert(ctx, votes); err != nil {
		t.Fatal(err)
	}
	all, err := s.Tallies(ctx, "demo", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(projects) {
		t.Fatalf("%d tallies; want every nominee", len(all))
	}
	got := find(all, p.ID)
	counted := votes[:len(ids)-1]
	wantCountries := map[string]bool{}
	for _, v := range counted {
		if c := country[v.VoterID]; c != "" {
			wantCountries[c] = true
		}
	}
	if got.Votes != int64(len(counted)) || got.VoterCountries != int64(len(wantCountries)) ||
		!got.FinalCountAt.Equal(counted[len(counted)-1].CastAt) {
		t.Fatalf("tally %+v; want %d votes from %d countries, final at %v", got, len(counted), len(wantCountries), counted[len(counted)-1].CastAt)
	}
	if z := find(all, projects[1].ID); z.Votes != 0 || !z.FinalCountAt.IsZero() {
		t.Fatalf("project without votes: %+v", z)
	}
	only, err := s.Tallies(ctx, "demo", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := find(only, p.ID); got.Votes != 1 {
		t.Fatalf("complete ballots only: %+v; want the one complete voter", got)
	}
	var n int
	if err := s.EachVote(ctx, "demo", func(v voting.Vote) error { n++; return nil }); err != nil || n != len(votes) {
		t.Fatalf("EachVote saw %d, %v; want %d", n, err, len(votes))
	}
}

func firstOf(ps []voting.Project, category string) string {
	for _, p := range ps {
		if p.Category == category {
			return p.ID
		}
	}
	return ""
}

func find(ts []voting.Tally, id string) voting.Tally {
	for _, t := range ts {
		if t.ProjectID == id {
			return t
		}
	}
	return voting.Tally{}
}

// TestStore_EachVote: every vote of the edition comes back once, in
// ascending id order, with the fields the ledger digest covers exactly as
// they went in, and fn's error stops the walk.
func TestStore_EachVote(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	var votes []voting.Vote
	// More votes than one batch of the reader, so that batches are reused.
	for i := range 2500 {
		p := projects[i%len(projects)]
		v := vote(int64(1000+i), p)
		v.CastAt = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second + 123456*time.Microsecond)
		switch i % 4 {
		case 1:
			v.Status = voting.StatusFlagged
		case 2:
			v.Status = voting.StatusInvalidated
		case 3:
			v.Slot = p.ID // the one-vote-per-project rule
		}
		votes = append(votes, v)
	}
	// Ids in the ledger's order, which is not the order of insertion.
	slices.Reverse(votes)
	if _, err := s.Insert(ctx, votes); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(votes)
	slices.SortFunc(want, func(a, b voting.Vote) int { return strings.Compare(a.ID, b.ID) })
	var got []voting.Vote
	if err := s.EachVote(ctx, "demo", func(v voting.Vote) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("EachVote saw %d votes; want %d", len(got), len(want))
	}
	for i, w := range want {
		w.Client, w.Reasons = voting.Client{}, nil
		if g := got[i]; !reflect.DeepEqual(g, w) {
			t.Fatalf("vote %d:\n got %+v\nwant %+v", i, g, w)
		}
	}

	for _, at := range []int{10, 1500} {
		stop := errors.New("stop")
		n := 0
		err := s.EachVote(ctx, "demo", func(voting.Vote) error {
			n++
			if n == at {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != at {
			t.Errorf("EachVote with fn failing at vote %d: %d calls, %v; want %d and fn's error", at, n, err, at)
		}
	}
}
