package redis_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// TestStore_Append_voteLimit: the per-voter limit is applied inside the
// append step. Past the burst a vote is refused with the time to wait and
// nothing is written; duplicates count against the limit too; another voter
// is not affected; an unmetered vote is not limited.
func TestStore_Append_voteLimit(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, c, redis.Options{Shards: 4, VoteLimit: redis.Limit{Interval: time.Minute, Burst: 3}})
		g := newVotes(t)

		for i := 0; i < 3; i++ {
			if err := s.Append(ctx, g.vote(7, fmt.Sprintf("C%d", i), "p")); err != nil {
				t.Fatalf("vote %d within the burst: %v", i, err)
			}
		}
		err := s.Append(ctx, g.vote(7, "C9", "p"))
		var rl *kind.RateLimitError
		if !errors.As(err, &rl) || !errors.Is(err, kind.ErrRateLimited) {
			t.Fatalf("vote past the burst: %v; want a rate limit", err)
		}
		if rl.RetryAfter <= 50*time.Second || rl.RetryAfter > time.Minute {
			t.Fatalf("retry after %s; want about a minute", rl.RetryAfter)
		}
		// The refused vote claimed nothing: once allowed, the same slot is free.
		if tally := tallyOf(t, s, g.edition); tally["p"] != 3 {
			t.Fatalf("tally %v; want 3 votes", tally)
		}
		if err := s.Append(ctx, g.vote(7, "C0", "p")); !errors.Is(err, kind.ErrRateLimited) {
			t.Fatalf("a duplicate past the burst: %v; want a rate limit first", err)
		}
		if err := s.Append(ctx, g.vote(8, "C0", "p")); err != nil {
			t.Fatalf("another voter: %v", err)
		}
		free := g.vote(7, "C9", "p")
		free.Unmetered = true
		if err := s.Append(ctx, free); err != nil {
			t.Fatalf("unmetered vote: %v", err)
		}
	})
}

// TestStore_Append_categoryCap: with several votes per category, each project
// is its own slot and the voter's count in the category is capped; a vote
// refused by the cap leaves its slot free and nothing in the log or tally.
// The per-account limit applies as well, each key in its place when a call
// carries both a rate and a count key per vote.
func TestStore_Append_categoryCap(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, c, redis.Options{Shards: 4, VoteLimit: redis.Limit{Interval: time.Minute, Burst: 4}})
		g := newVotes(t)
		capped := func(voter int64, project string) *voting.Vote {
			v := g.vote(voter, "C1", project)
			v.Slot, v.CategoryCap = project, 2
			return v
		}
		for _, p := range []string{"a", "b"} {
			if err := s.Append(ctx, capped(5, p)); err != nil {
				t.Fatalf("vote for %s within the cap: %v", p, err)
			}
		}
		if err := s.Append(ctx, capped(5, "a")); !errors.Is(err, voting.ErrDuplicate) {
			t.Fatalf("second vote for a: %v; want duplicate", err)
		}
		if err := s.Append(ctx, capped(5, "c")); !errors.Is(err, voting.ErrCategoryFull) {
			t.Fatalf("third project: %v; want category full", err)
		}
		if err := s.Append(ctx, capped(5, "d")); !errors.Is(err, kind.ErrRateLimited) {
			t.Fatalf("fifth attempt within a minute: %v; want a rate limit", err)
		}
		if err := s.Append(ctx, capped(6, "c")); err != nil {
			t.Fatalf("another voter: %v", err)
		}
		if tally := tallyOf(t, s, g.edition); tally["a"] != 1 || tally["b"] != 1 || tally["c"] != 1 {
			t.Fatalf("tally %v; want a, b and c once each", tally)
		}
		pending, unread, err := s.Backlog(ctx)
		if err != nil || pending+unread != 3 {
			t.Fatalf("log holds %d+%d entries, %v; want the 3 accepted", pending, unread, err)
		}
	})
}

// TestStore_Append_mixedBatch: votes that reach Redis in the same script
// call are each taken as if alone. Many appends at once on one shard and one
// worker share calls, and the outcomes per voter are those of any order: the
// rate limit, the dedup bit and the category cap see the votes before them
// in the same call.
func TestStore_Append_mixedBatch(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, c, redis.Options{Shards: 1, Workers: 1, VoteLimit: redis.Limit{Interval: time.Minute, Burst: 2}})
		g := newVotes(t)
		var vs []*voting.Vote
		for round := 0; round < 50; round++ {
			limited := int64(1000 + round*10)
			for _, cat := range []string{"C1", "C2", "C3"} {
				vs = append(vs, g.vote(limited, cat, "p"))
			}
			dup := limited + 1
			vs = append(vs, g.vote(dup, "C1", "p"), g.vote(dup, "C1", "p"))
			for _, p := range []string{"a", "b", "c"} {
				v := g.vote(limited+2, "C4", p)
				v.Slot, v.CategoryCap, v.Unmetered = p, 2, true
				vs = append(vs, v)
			}
		}
		errs := make([]error, len(vs))
		var wg sync.WaitGroup
		for i, v := range vs {
			wg.Go(func() { errs[i] = s.Append(ctx, v) })
		}
		wg.Wait()

		outcomes := map[string]int{}
		for i, err := range errs {
			switch {
			case err == nil:
				outcomes["accepted"]++
			case errors.Is(err, kind.ErrRateLimited):
				outcomes["limited"]++
			case errors.Is(err, voting.ErrDuplicate):
				outcomes["duplicate"]++
			case errors.Is(err, voting.ErrCategoryFull):
				outcomes["full"]++
			default:
				t.Fatalf("vote %d: %v", i, err)
			}
		}
		// Each round: 2 of 3 within the limit, 1 of 2 identical, 2 of 3
		// under the cap.
		want := map[string]int{"accepted": 50 * 5, "limited": 50, "duplicate": 50, "full": 50}
		if !maps.Equal(outcomes, want) {
			t.Fatalf("outcomes %v; want %v", outcomes, want)
		}
		if total := tallyTotal(t, s, g.edition); total != 50*5 {
			t.Errorf("tally sums to %d; want %d", total, 50*5)
		}
		// The accepted votes are in the log, once each.
		seen := map[string]bool{}
		for _, es := range readAll(t, s) {
			for _, e := range es {
				if seen[e.Vote.ID] {
					t.Errorf("vote %s read twice", e.Vote.ID)
				}
				seen[e.Vote.ID] = true
			}
		}
		if len(seen) != 50*5 {
			t.Errorf("log holds %d votes; want %d", len(seen), 50*5)
		}
	})
}
