package redis_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting/redis"
)

// TestStore_Placement: every shard is placed exactly once, on the master
// that really holds its log, and on a cluster of three masters with evenly
// split slots the 16 shards fall 6, 5 and 5.
func TestStore_Placement(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		prefix := testenv.ID(t)
		s := newStore(t, c, redis.Options{Shards: 16, Prefix: prefix})
		got, err := s.Placement(ctx)
		if err != nil {
			t.Fatal(err)
		}
		placed := map[int]bool{}
		var sizes []int
		for addr, shards := range got {
			sizes = append(sizes, len(shards))
			master := goredis.NewClient(&goredis.Options{Addr: addr})
			defer master.Close()
			for _, sh := range shards {
				if placed[sh] {
					t.Errorf("shard %d placed twice", sh)
				}
				placed[sh] = true
				// The log stream exists from New on; the master named for
				// its shard must be the one that has it.
				if n, err := master.Exists(ctx, logKey(prefix, sh)).Result(); err != nil || n != 1 {
					t.Errorf("shard %d: master %s has no log stream (exists %d, %v)", sh, addr, n, err)
				}
			}
		}
		if len(placed) != 16 {
			t.Errorf("%d shards placed, want 16", len(placed))
		}
		if _, cluster := c.(*goredis.ClusterClient); cluster {
			if len(sizes) != 3 || sizes[0]+sizes[1]+sizes[2] != 16 || max(sizes[0], sizes[1], sizes[2]) != 6 {
				t.Errorf("shards per master %v, want 6, 5 and 5 on 3 masters", sizes)
			}
		} else if len(sizes) != 1 {
			t.Errorf("a standalone Redis placed shards on %d masters", len(sizes))
		}
	})
}
