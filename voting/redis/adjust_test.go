package redis_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/voting/redis"
)

// TestStore_AdjustTally: deltas move the live counts, once per key however
// often they are sent, on a single Redis and on a cluster.
func TestStore_AdjustTally(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, c, redis.Options{Shards: 4})
		if err := s.AdjustTally(ctx, "e1", "cast", map[string]int64{"p1": 5, "p2": 3, "p3": 0}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.AdjustTally(ctx, "e1", "decision-1", map[string]int64{"p1": -4, "p2": 1}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AdjustTally(ctx, "e2", "decision-1", map[string]int64{"p1": 7}); err != nil {
			t.Fatal(err)
		}
		got := tallyOf(t, s, "e1")
		if got["p1"] != 1 || got["p2"] != 4 || got["p3"] != 0 {
			t.Fatalf("tally of e1 %v; want p1 1, p2 4", got)
		}
		if got := tallyOf(t, s, "e2"); got["p1"] != 7 {
			t.Fatalf("tally of e2 %v; want the same key applied there too", got)
		}
		if err := s.AdjustTally(ctx, "e1", "", map[string]int64{"p1": 1}); err == nil {
			t.Fatal("an adjustment without a key was taken")
		}
	})
}
