package redis_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// TestStore_Append_faults sends votes through a misbehaving link to Redis,
// with the client the service builds (no resends) and a deadline, and
// checks that every answer tells the truth: a vote answered recorded is in
// the log, one answered not recorded (ErrUnavailable) is not, one answered
// unknown may be, and no vote is ever refused as a duplicate of itself.
// Each vote is then retried until it is settled, as a voter would, and the
// log must hold every vote exactly once.
func TestStore_Append_faults(t *testing.T) {
	t.Parallel()
	const deadline = 300 * time.Millisecond
	faults := []struct {
		name  string
		toxic testenv.Toxic
		// mayArrive says whether votes sent during the fault may reach
		// Redis (held back, then delivered) or certainly do not.
		mayArrive bool
	}{
		{"stall longer than the deadline", testenv.Delay(3 * deadline), true},
		{"latency below the deadline", testenv.Latency(deadline/6, deadline/12), true},
		{"half-open connection", testenv.HalfOpen(), false},
		{"connection reset", testenv.Reset(), false},
		{"bandwidth limit", testenv.Bandwidth(1), true},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			upstream := strings.TrimPrefix(testenv.RedisURL(t), "redis://")
			upstream, _, _ = strings.Cut(upstream, "/")
			proxy := testenv.FaultProxy(t, upstream)
			c, err := redis.Connect("redis://" + proxy.Addr + "/0?read_timeout=500ms&write_timeout=500ms&dial_timeout=500ms")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			prefix := testenv.ID(t)
			s := newStore(t, c, redis.Options{Prefix: prefix, Shards: 4, Deadline: deadline})
			direct := testenv.Redis(t)
			g := newVotes(t)
			if err := s.Append(context.Background(), g.vote(1, "C1", "p1")); err != nil {
				t.Fatalf("append before the fault: %v", err)
			}

			proxy.Add(t, f.toxic)
			const n = 60
			sent := make([]*voting.Vote, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range sent {
				sent[i] = g.vote(int64(i+2), "C1", "p1")
				wg.Go(func() { errs[i] = s.Append(context.Background(), sent[i]) })
			}
			wg.Wait()
			proxy.Clear()
			// Votes held back by the fault reach Redis once it clears.
			time.Sleep(4 * deadline)

			inLog := loggedIDs(t, direct, prefix, 4)
			var unknown, refused int
			for i, err := range errs {
				id := sent[i].ID
				switch {
				case err == nil:
					if !inLog[id] {
						t.Errorf("vote %s answered recorded is not in the log", id)
					}
				case errors.Is(err, voting.ErrOutcomeUnknown):
					unknown++
				case errors.Is(err, kind.ErrUnavailable):
					refused++
					if inLog[id] {
						t.Errorf("vote %s answered not recorded is in the log: %v", id, err)
					}
				default:
					t.Errorf("vote %s: %v; want recorded, unavailable or outcome unknown", id, err)
				}
				if !f.mayArrive && inLog[id] {
					t.Errorf("vote %s is in the log though the link dropped everything: %v", id, err)
				}
			}
			t.Logf("%d votes: %d unknown, %d refused", n, unknown, refused)

			// Retry each vote that was not answered recorded until it is:
			// recorded now, or a duplicate because its first attempt was.
			for i, err := range errs {
				if err == nil {
					continue
				}
				for attempt := 0; ; attempt++ {
					err = s.Append(context.Background(), sent[i])
					if err == nil || errors.Is(err, voting.ErrDuplicate) {
						break
					}
					if attempt == 20 {
						t.Fatalf("vote %s still unsettled after the fault: %v", sent[i].ID, err)
					}
					time.Sleep(deadline)
				}
			}
			counts := loggedCounts(t, direct, prefix, 4)
			for _, v := range sent {
				if counts[v.ID] != 1 {
					t.Errorf("vote %s is in the log %d times; want once", v.ID, counts[v.ID])
				}
			}
		})
	}
}

// loggedCounts returns how often each vote id is in the shard logs.
func loggedCounts(tb testing.TB, c goredis.UniversalClient, prefix string, shards int) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for i := range shards {
		msgs, err := c.XRange(context.Background(), logKey(prefix, i), "-", "+").Result()
		if err != nil {
			tb.Fatalf("xrange shard %d: %v", i, err)
		}
		for _, m := range msgs {
			for f, raw := range m.Values {
				if f == "t" {
					continue
				}
				v, err := redis.Decode([]byte(raw.(string)))
				if err != nil {
					tb.Fatalf("decode log entry %s: %v", m.ID, err)
				}
				out[v.ID]++
			}
		}
	}
	return out
}

// loggedIDs returns the vote ids in the shard logs.
func loggedIDs(tb testing.TB, c goredis.UniversalClient, prefix string, shards int) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	for id := range loggedCounts(tb, c, prefix, shards) {
		out[id] = true
	}
	return out
}
