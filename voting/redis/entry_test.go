package redis_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// holdHook holds the first pipeline sent once it is armed until release is
// closed, so that appends queue up behind it.
type holdHook struct {
	armed   atomic.Bool
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func (h *holdHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *holdHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }

func (h *holdHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if h.armed.Load() {
			h.once.Do(func() {
				close(h.held)
				<-h.release
			})
		}
		return next(ctx, cmds)
	}
}

// holdPipelines adds a holdHook to c, not armed yet.
func holdPipelines(c goredis.UniversalClient) *holdHook {
	h := &holdHook{held: make(chan struct{}), release: make(chan struct{})}
	c.AddHook(h)
	return h
}

// appendBehindHeld appends votes concurrently with the first one's pipeline
// held, so that the others queue behind it and go out together once it is
// released, and fails the test unless every append succeeds. settle is how
// long the others get to queue; one that comes late only makes one more
// pipeline.
func appendBehindHeld(tb testing.TB, hold *holdHook, s *redis.Store, votes []*voting.Vote, settle time.Duration) {
	tb.Helper()
	hold.armed.Store(true)
	errs := make(chan error, len(votes))
	var wg sync.WaitGroup
	for i, v := range votes {
		wg.Go(func() { errs <- s.Append(context.Background(), v) })
		if i == 0 {
			<-hold.held
		}
	}
	time.Sleep(settle)
	close(hold.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatalf("append: %v", err)
		}
	}
}

// logIDs returns the distinct log ids of es, in order.
func logIDs(es []voting.Entry) []string {
	var ids []string
	for _, e := range es {
		if len(ids) == 0 || ids[len(ids)-1] != e.LogID {
			ids = append(ids, e.LogID)
		}
	}
	return ids
}

// TestStore_Append_sharedEntry checks that the votes of one script call go
// into the log as one entry, and that such an entry comes back whole through
// a read and through a claim, and leaves nothing behind once acknowledged.
func TestStore_Append_sharedEntry(t *testing.T) {
	t.Parallel()
	for name, c := range clientsWith(t, 3, 0) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hold := holdPipelines(c)
			o := redis.Options{Prefix: testenv.ID(t), Shards: 1, Workers: 1, Consumer: "first"}
			s := newStore(t, c, o)
			o.Consumer = "second"
			second := newStore(t, c, o)
			g := newVotes(t)
			ctx := context.Background()

			const n = 100
			var votes []*voting.Vote
			for i := range n {
				votes = append(votes, g.vote(int64(i+1), "C1", "p"+strconv.Itoa(i%7)))
			}
			appendBehindHeld(t, hold, s, votes, 250*time.Millisecond)
			// Append stamped each vote with Redis's clock.
			want := map[string]voting.Vote{}
			for _, v := range votes {
				want[v.ID] = *v
			}

			// An entry of n votes has the fields v1 to vn and t, the
			// append step's clock, and no others.
			msgs, err := c.XRange(ctx, logKey(o.Prefix, 0), "-", "+").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				votes := len(m.Values) - 1
				if _, ok := m.Values["t"]; !ok {
					t.Errorf("entry %s has fields %v; want t among them", m.ID, slices.Sorted(maps.Keys(m.Values)))
				}
				for i := range votes {
					if _, ok := m.Values["v"+strconv.Itoa(i+1)]; !ok {
						t.Errorf("entry %s has fields %v; want t and v1 to v%d", m.ID, slices.Sorted(maps.Keys(m.Values)), votes)
						break
					}
				}
			}

			read := readAll(t, s)[0]
			entries := len(logIDs(read))
			if len(read) != n || entries > 10 {
				t.Fatalf("read %d votes in %d entries; want %d votes sharing a few entries", len(read), entries, n)
			}
			if p, u := backlog(t, s); p != int64(entries) || u != 0 {
				t.Errorf("backlog: pending %d, unread %d; want %d, 0", p, u, entries)
			}

			// The second consumer claims the same votes, shared entries and
			// all, as the first one left them pending.
			time.Sleep(20 * time.Millisecond)
			claimed, err := second.Claim(ctx, 0, n, 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if len(claimed) != n || len(logIDs(claimed)) != entries {
				t.Errorf("claimed %d votes in %d entries; want %d in %d", len(claimed), len(logIDs(claimed)), n, entries)
			}
			got := map[string]bool{}
			for _, e := range claimed {
				sameVote(t, e.Vote, want[e.Vote.ID])
				got[e.Vote.ID] = true
			}
			if len(got) != n {
				t.Errorf("claimed %d distinct votes; want %d", len(got), n)
			}
			if err := second.Ack(ctx, 0, logIDs(claimed)); err != nil {
				t.Fatal(err)
			}
			checkEmptied(t, c, s, o.Prefix)
		})
	}
}

// TestStore_Tally_buckets checks that an edition's tally is spread over
// small hashes: a WSIS edition's 360 projects in one hash would make every
// increment scan them all.
func TestStore_Tally_buckets(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 1}
		s := newStore(t, c, o)
		g := newVotes(t)
		ctx := context.Background()
		const projects = 360
		for i := range projects {
			v := g.vote(int64(i+1), "C1", "project-"+strconv.Itoa(i))
			if err := s.Append(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		tally := tallyOf(t, s, g.edition)
		if len(tally) != projects {
			t.Fatalf("tally has %d projects; want %d", len(tally), projects)
		}
		for p, n := range tally {
			if n != 1 {
				t.Errorf("project %s: %d votes; want 1", p, n)
			}
		}
		var (
			mu   sync.Mutex
			keys []string
		)
		err := testenv.EachMaster(ctx, c, func(ctx context.Context, node *goredis.Client) error {
			ks, err := node.Keys(ctx, o.Prefix+"{v0}:tally:"+g.edition+":*").Result()
			mu.Lock()
			keys = append(keys, ks...)
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) < 8 {
			t.Fatalf("tally in %d hashes %v; want it spread over at least 8", len(keys), keys)
		}
		for _, k := range keys {
			if n, err := c.HLen(ctx, k).Result(); err != nil || n > 64 {
				t.Errorf("tally hash %s holds %d projects (%v); want at most 64", k, n, err)
			}
		}
	})
}

// TestStore_Append_largeCall checks that a pipeline holding more votes of one
// shard than one script call may take splits them over several calls, all
// recorded: Lua hands a call's log entry to XADD with unpack, which takes at
// most a few thousand values.
func TestStore_Append_largeCall(t *testing.T) {
	t.Parallel()
	for name, c := range clientsWith(t, 3, 0) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hold := holdPipelines(c)
			o := redis.Options{Prefix: testenv.ID(t), Shards: 1, Workers: 1, PipelineSize: 5000,
				VoteLimit: redis.Limit{Interval: time.Millisecond, Burst: 10}}
			s := newStore(t, c, o)
			g := newVotes(t)
			const n = 2600
			votes := make([]*voting.Vote, n)
			for i := range votes {
				votes[i] = g.vote(int64(i+1), "C1", "p"+strconv.Itoa(i%360))
			}
			appendBehindHeld(t, hold, s, votes, 500*time.Millisecond)
			read := readAll(t, s)[0]
			entries := len(logIDs(read))
			if len(read) != n || entries < 3 {
				t.Fatalf("read %d votes in %d entries; want %d in at least 3 (calls of at most 1,000)", len(read), entries, n)
			}
			if total := tallyTotal(t, s, g.edition); total != n {
				t.Errorf("tally sums to %d; want %d", total, n)
			}
		})
	}
}
