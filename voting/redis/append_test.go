package redis_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

func TestStore_Append_concurrentDuplicates(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t)}
		s := newStore(t, c, o)
		g := newVotes(t)
		const n = 1000
		vs := make([]*voting.Vote, n)
		for i := range vs {
			vs[i] = g.vote(42, "C1", "p1")
		}
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range vs {
			wg.Go(func() {
				<-start
				errs[i] = s.Append(context.Background(), vs[i])
			})
		}
		close(start)
		wg.Wait()

		var accepted, duplicates int
		var winner *voting.Vote
		for i, err := range errs {
			switch {
			case err == nil:
				accepted++
				winner = vs[i]
			case errors.Is(err, voting.ErrDuplicate):
				duplicates++
			default:
				t.Errorf("append %d: %v", i, err)
			}
		}
		if accepted != 1 || duplicates != n-1 {
			t.Fatalf("accepted %d, duplicates %d; want 1 and %d", accepted, duplicates, n-1)
		}
		if got := logLen(t, c, o.Prefix, s.Shards()); got != 1 {
			t.Errorf("log holds %d entries, want 1", got)
		}
		tally, err := s.Tally(context.Background(), g.edition)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int64{"p1": 1}; !maps.Equal(tally, want) {
			t.Errorf("tally %v, want %v", tally, want)
		}
		read := readAll(t, s)
		if es := read[42%s.Shards()]; len(es) != 1 {
			t.Fatalf("read %v, want the one accepted vote", read)
		} else {
			sameVote(t, es[0].Vote, *winner)
		}
	})
}

func TestStore_Append_manyVoters(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		const voters, categories, projects = 150, 6, 4
		var all []*voting.Vote
		want := make(map[string]int64)
		for voter := int64(1); voter <= voters; voter++ {
			for cat := range categories {
				project := fmt.Sprintf("c%d-p%d", cat, (int(voter)+cat)%projects)
				v := g.vote(voter, fmt.Sprintf("C%d", cat), project)
				if voter%5 == 0 {
					v.Reasons = []string{"young account", "shared network"}
				}
				all = append(all, v)
				want[project]++
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(all))
		for i, v := range all {
			wg.Go(func() { errs[i] = s.Append(context.Background(), v) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("append %s: %v", all[i].ID, err)
			}
		}

		tally, err := s.Tally(context.Background(), g.edition)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(tally, want) {
			t.Errorf("tally %v, want %v", tally, want)
		}
		byID := make(map[string]*voting.Vote, len(all))
		for _, v := range all {
			byID[v.ID] = v
		}
		n := 0
		for shard, es := range readAll(t, s) {
			for _, e := range es {
				n++
				v, ok := byID[e.Vote.ID]
				if !ok {
					t.Errorf("read unknown vote %+v", e.Vote)
					continue
				}
				delete(byID, v.ID)
				sameVote(t, e.Vote, *v)
				if got := int(e.Vote.VoterID % int64(s.Shards())); got != shard {
					t.Errorf("vote %s of voter %d read from shard %d, want %d", v.ID, v.VoterID, shard, got)
				}
			}
		}
		if n != len(all) || len(byID) != 0 {
			t.Errorf("read %d entries, %d votes missing; want %d and none", n, len(byID), len(all))
		}
	})
}

func TestStore_Append_onePerProject(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		rules := voting.Rules{OnePer: voting.OnePerProject}
		cast := func(project string) *voting.Vote {
			v := g.vote(7, "C7", project)
			v.Slot = rules.Slot(voting.Project{ID: project, Category: "C7"})
			return v
		}
		ctx := context.Background()
		if err := s.Append(ctx, cast("p1")); err != nil {
			t.Fatalf("first vote for p1: %v", err)
		}
		if err := s.Append(ctx, cast("p2")); err != nil {
			t.Fatalf("vote for p2 in the same category: %v", err)
		}
		if err := s.Append(ctx, cast("p1")); !errors.Is(err, voting.ErrDuplicate) {
			t.Fatalf("second vote for p1: %v, want ErrDuplicate", err)
		}
		if tally, want := tallyOf(t, s, g.edition), map[string]int64{"p1": 1, "p2": 1}; !maps.Equal(tally, want) {
			t.Errorf("tally %v, want %v", tally, want)
		}
	})
}

func TestStore_Append_statuses(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		ctx := context.Background()
		counted := g.vote(1, "C1", "p1")
		flagged := g.vote(2, "C1", "p1")
		flagged.Status, flagged.Reasons = voting.StatusFlagged, []string{"burst from one network"}
		rejected := g.vote(3, "C1", "p1")
		rejected.Status, rejected.Reasons = voting.StatusRejected, []string{"headless browser"}
		for _, v := range []*voting.Vote{counted, flagged, rejected} {
			if err := s.Append(ctx, v); err != nil {
				t.Fatalf("append %s vote: %v", v.Status, err)
			}
		}
		// The rejected voter's slot is taken too: a suspected bot is answered
		// like anyone else, including when it tries again.
		if err := s.Append(ctx, g.vote(3, "C1", "p2")); !errors.Is(err, voting.ErrDuplicate) {
			t.Errorf("second vote of a rejected voter: %v, want ErrDuplicate", err)
		}
		if tally, want := tallyOf(t, s, g.edition), map[string]int64{"p1": 2}; !maps.Equal(tally, want) {
			t.Errorf("tally %v, want %v (counted and flagged only)", tally, want)
		}
		got := make(map[string]voting.Vote)
		for _, es := range readAll(t, s) {
			for _, e := range es {
				got[e.Vote.ID] = e.Vote
			}
		}
		if len(got) != 3 {
			t.Fatalf("log holds %d votes, want 3", len(got))
		}
		for _, v := range []*voting.Vote{counted, flagged, rejected} {
			sameVote(t, got[v.ID], *v)
		}
	})
}

func TestStore_Append_invalid(t *testing.T) {
	t.Parallel()
	s := newStore(t, testenv.Redis(t), redis.Options{})
	g := newVotes(t)
	tests := map[string]func(v *voting.Vote){
		"no voter":           func(v *voting.Vote) { v.VoterID = 0 },
		"negative voter":     func(v *voting.Vote) { v.VoterID = -3 },
		"voter out of range": func(v *voting.Vote) { v.VoterID = 1 << 62 },
		"no edition":         func(v *voting.Vote) { v.Edition = "" },
		"colon in edition":   func(v *voting.Vote) { v.Edition = "a:b" },
		"no slot":            func(v *voting.Vote) { v.Slot = "" },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			v := g.vote(1, "C1", "p1")
			change(v)
			if err := s.Append(context.Background(), v); !errors.Is(err, kind.ErrInvalid) {
				t.Errorf("append: %v, want ErrInvalid", err)
			}
		})
	}
	if err := s.Append(context.Background(), nil); !errors.Is(err, kind.ErrInvalid) {
		t.Errorf("append nil: %v, want ErrInvalid", err)
	}
}

func TestStore_Append_contextDone(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Append(ctx, g.vote(1, "C1", "p1")); !errors.Is(err, context.Canceled) {
			t.Fatalf("append with a cancelled context: %v, want context.Canceled", err)
		}
		// Nothing was sent, so the slot is still free.
		if err := s.Append(context.Background(), g.vote(1, "C1", "p1")); err != nil {
			t.Fatalf("append after the cancelled one: %v", err)
		}
	})
}

// TestStore_Append_scriptFlushed checks that a node that lost the script
// (restarted, failed over) gets it again and the votes go through.
func TestStore_Append_scriptFlushed(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		ctx := context.Background()
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 64)
		for i := range errs {
			wg.Go(func() { errs[i] = s.Append(ctx, g.vote(int64(i+1), "C1", "p1")) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("append %d after SCRIPT FLUSH: %v", i, err)
			}
		}
		if tally := tallyOf(t, s, g.edition); tally["p1"] != int64(len(errs)) {
			t.Errorf("tally %v, want p1: %d", tally, len(errs))
		}
	})
}

// TestStore_Close checks that closing while appends are in flight neither
// loses nor strands one: each is either recorded or refused as unavailable.
func TestStore_Close(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 4}
		s := newStore(t, c, o)
		g := newVotes(t)
		const n = 500
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = s.Append(context.Background(), g.vote(int64(i+1), "C1", "p1")) })
		}
		s.Close()
		wg.Wait()
		var accepted int64
		for i, err := range errs {
			switch {
			case err == nil:
				accepted++
			case !errors.Is(err, kind.ErrUnavailable):
				t.Errorf("append %d: %v", i, err)
			}
		}
		if got := logVotes(t, c, o.Prefix, o.Shards); got != accepted {
			t.Errorf("log holds %d votes, %d appends succeeded", got, accepted)
		}
		if err := s.Append(context.Background(), g.vote(n+1, "C1", "p1")); !errors.Is(err, kind.ErrUnavailable) {
			t.Errorf("append after close: %v, want ErrUnavailable", err)
		}
	})
}
