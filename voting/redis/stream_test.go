package redis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// appendN appends one counted vote for each of n voters.
func appendN(tb testing.TB, s *redis.Store, g *votes, n int) []*voting.Vote {
	tb.Helper()
	out := make([]*voting.Vote, n)
	for i := range out {
		out[i] = g.vote(int64(i+1), "C1", "p1")
		if err := s.Append(context.Background(), out[i]); err != nil {
			tb.Fatalf("append: %v", err)
		}
	}
	return out
}

func TestStore_ReadAck(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t)}
		s := newStore(t, c, o)
		const n = 40
		appendN(t, s, newVotes(t), n)
		if p, u := backlog(t, s); p != 0 || u != n {
			t.Errorf("backlog before reading: pending %d, unread %d; want 0, %d", p, u, n)
		}
		read := readAll(t, s)
		if p, u := backlog(t, s); p != n || u != 0 {
			t.Errorf("backlog after reading: pending %d, unread %d; want %d, 0", p, u, n)
		}
		ctx := context.Background()
		for shard, es := range read {
			ids := make([]string, len(es))
			for i, e := range es {
				ids[i] = e.LogID
			}
			if err := s.Ack(ctx, shard, ids); err != nil {
				t.Fatalf("ack shard %d: %v", shard, err)
			}
		}
		checkEmptied(t, c, s, o.Prefix)
		if err := s.Ack(ctx, 0, nil); err != nil {
			t.Errorf("ack nothing: %v", err)
		}
	})
}

func TestStore_Read_empty(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{Shards: 2})
		for _, wait := range []time.Duration{0, time.Microsecond, 5 * time.Millisecond} {
			es, err := s.Read(context.Background(), 1, 10, wait)
			if err != nil || len(es) != 0 {
				t.Errorf("read an empty shard waiting %v: %v, %v; want nothing", wait, es, err)
			}
		}
		if _, err := s.Read(context.Background(), 2, 10, 0); err == nil {
			t.Error("read shard 2 of 2: no error")
		}
	})
}

func TestStore_Claim(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 4, Consumer: "first"}
		first := newStore(t, c, o)
		o.Consumer = "second"
		second := newStore(t, c, o)
		const n = 30
		vs := appendN(t, first, newVotes(t), n)
		read := readAll(t, first)
		ctx := context.Background()

		// Entries the first consumer holds are not taken before minIdle.
		for shard := range o.Shards {
			es, err := second.Claim(ctx, shard, n, time.Hour)
			if err != nil || len(es) != 0 {
				t.Fatalf("claim shard %d before idle: %d entries, %v; want none", shard, len(es), err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		claimed := 0
		for shard := range o.Shards {
			// A small max makes Claim go round its loop more than once.
			var got []voting.Entry
			for {
				es, err := second.Claim(ctx, shard, 3, 20*time.Millisecond)
				if err != nil {
					t.Fatalf("claim shard %d: %v", shard, err)
				}
				if len(es) == 0 {
					break
				}
				if len(es) > 3 {
					t.Fatalf("claim 3 on shard %d returned %d", shard, len(es))
				}
				got = append(got, es...)
				ids := make([]string, len(es))
				for i, e := range es {
					ids[i] = e.LogID
				}
				if err := second.Ack(ctx, shard, ids); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != len(read[shard]) {
				t.Errorf("shard %d: claimed %d, the first consumer read %d", shard, len(got), len(read[shard]))
			}
			for i, e := range got {
				if i < len(read[shard]) && e.LogID != read[shard][i].LogID {
					t.Errorf("shard %d: claimed %s, want %s", shard, e.LogID, read[shard][i].LogID)
				}
			}
			claimed += len(got)
		}
		if claimed != len(vs) {
			t.Errorf("claimed %d entries, want %d", claimed, len(vs))
		}
		checkEmptied(t, c, first, o.Prefix)
	})
}

// TestStore_deadLetters checks that an entry that does not decode is moved
// aside and acknowledged, and that it does not hold up the good ones.
func TestStore_deadLetters(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 2}
		s := newStore(t, c, o)
		ctx := context.Background()
		g := newVotes(t)
		bad := []map[string]any{{"v1": "garbage"}, {"other": "field"}}
		for _, values := range bad {
			if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0), Values: values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		good := g.vote(2, "C1", "p1")
		if err := s.Append(ctx, good); err != nil {
			t.Fatal(err)
		}
		// A field beside a good vote does not make the entry a dead letter.
		extra := g.vote(4, "C1", "p1")
		if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0), Values: []any{"v1", redis.Encode(nil, extra), "note", "x"}}).Err(); err != nil {
			t.Fatal(err)
		}

		// A bad vote in an entry of several goes aside alone.
		first, last := g.vote(6, "C1", "p1"), g.vote(8, "C1", "p2")
		shared, err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0),
			Values: []any{"v1", redis.Encode(nil, first), "v2", "garbage too", "v3", redis.Encode(nil, last)}}).Result()
		if err != nil {
			t.Fatal(err)
		}

		es, err := s.Read(ctx, 0, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 4 {
			t.Fatalf("read %d entries, want the four good votes", len(es))
		}
		sameVote(t, es[0].Vote, *good)
		sameVote(t, es[1].Vote, *extra)
		sameVote(t, es[2].Vote, *first)
		sameVote(t, es[3].Vote, *last)
		if es[2].LogID != shared || es[3].LogID != shared {
			t.Errorf("votes of entry %s read with log ids %s and %s", shared, es[2].LogID, es[3].LogID)
		}
		if got, err := s.SetAside(ctx); err != nil || got != int64(len(bad))+1 {
			t.Errorf("set aside %d, %v; want %d", got, err, len(bad)+1)
		}
		dead, err := c.XRange(ctx, o.Prefix+"{v0}:dead", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != len(bad)+1 || dead[0].Values["v1"] != "garbage" || dead[1].Values["other"] != "field" ||
			dead[2].Values["v2"] != "garbage too" || dead[2].Values["source_id"] != shared {
			t.Errorf("dead-letter stream %v, want the three bad ones kept", dead)
		}
		// The entry with good votes stays pending until they are acknowledged.
		if p, u := backlog(t, s); p != 3 || u != 0 {
			t.Errorf("backlog before ack: pending %d, unread %d; want 3, 0", p, u)
		}
		if err := s.Ack(ctx, 0, []string{es[0].LogID, es[1].LogID, shared}); err != nil {
			t.Fatal(err)
		}
		if p, u := backlog(t, s); p != 0 || u != 0 {
			t.Errorf("backlog: pending %d, unread %d; want 0, 0", p, u)
		}
	})
}

// TestStore_Read_groupGone checks that a flusher keeps going when its stream
// and group disappear, as after a flushed database.
func TestStore_Read_groupGone(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 1}
		s := newStore(t, c, o)
		ctx := context.Background()
		if err := c.Del(ctx, logKey(o.Prefix, 0)).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, 0, 10, 0); err != nil {
			t.Fatalf("read after the stream was deleted: %v", err)
		}
		v := newVotes(t).vote(1, "C1", "p1")
		if err := s.Append(ctx, v); err != nil {
			t.Fatal(err)
		}
		es, err := s.Read(ctx, 0, 10, 0)
		if err != nil || len(es) != 1 {
			t.Fatalf("read: %d entries, %v; want 1", len(es), err)
		}
	})
}

func TestStore_MemoryUsed(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		n, err := s.MemoryUsed(context.Background())
		if err != nil || n <= 0 {
			t.Errorf("memory used: %d, %v; want a positive count", n, err)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
}

// clientsWith returns a client of each test topology that speaks protocol
// and waits readTimeout for a reply (go-redis's default when zero), closed
// when the test ends.
func clientsWith(tb testing.TB, protocol int, readTimeout time.Duration) map[string]goredis.UniversalClient {
	tb.Helper()
	o, err := goredis.ParseURL(testenv.RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	o.Protocol, o.ReadTimeout = protocol, readTimeout
	single := goredis.NewClient(o)
	cluster := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: testenv.RedisClusterAddrs(tb), Protocol: protocol, ReadTimeout: readTimeout})
	tb.Cleanup(func() {
		single.Close()
		cluster.Close()
	})
	return map[string]goredis.UniversalClient{"standalone": single, "cluster": cluster}
}

// TestStore_Read_protocols reads the log through clients speaking RESP2 and
// RESP3, whose stream replies differ in shape, and checks that every vote
// comes back whole, field for field.
func TestStore_Read_protocols(t *testing.T) {
	t.Parallel()
	for _, protocol := range []int{2, 3} {
		for name, c := range clientsWith(t, protocol, 0) {
			t.Run(fmt.Sprintf("%s RESP%d", name, protocol), func(t *testing.T) {
				t.Parallel()
				o := redis.Options{Prefix: testenv.ID(t), Shards: 4}
				s := newStore(t, c, o)
				g := newVotes(t)
				want := map[string]voting.Vote{}
				for i := range 60 {
					v := g.vote(int64(i+1), "C1", "p1")
					if i%3 == 0 {
						v.Status, v.Reasons = voting.StatusFlagged, []string{"young account", "Ünïcödé", ""}
					}
					if err := s.Append(context.Background(), v); err != nil {
						t.Fatal(err)
					}
					want[v.ID] = *v
				}
				got := 0
				for shard, es := range readAll(t, s) {
					for _, e := range es {
						if e.Shard != shard || e.LogID == "" {
							t.Errorf("entry %+v read from shard %d", e, shard)
						}
						sameVote(t, e.Vote, want[e.Vote.ID])
						got++
					}
				}
				if got != len(want) {
					t.Errorf("read %d votes; want %d", got, len(want))
				}
			})
		}
	}
}

// TestStore_Read_longWait checks that a read may wait longer than the
// client's read timeout allows a reply to take, as the typed command can.
func TestStore_Read_longWait(t *testing.T) {
	t.Parallel()
	for name, c := range clientsWith(t, 3, 100*time.Millisecond) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, c, redis.Options{Prefix: testenv.ID(t), Shards: 2})
			start := time.Now()
			es, err := s.Read(context.Background(), 1, 10, 300*time.Millisecond)
			if err != nil || len(es) != 0 {
				t.Fatalf("read an empty shard waiting 300ms on a 100ms read timeout: %d entries, %v; want none and no error", len(es), err)
			}
			if waited := time.Since(start); waited < 250*time.Millisecond {
				t.Errorf("read returned after %s; want it to wait for the log", waited)
			}
		})
	}
}

// TestStore_Acknowledge acknowledges the entries of every shard in one call.
func TestStore_Acknowledge(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 4}
		s := newStore(t, c, o)
		const n = 40
		appendN(t, s, newVotes(t), n)
		ids := map[int][]string{}
		for shard, es := range readAll(t, s) {
			for _, e := range es {
				ids[shard] = append(ids[shard], e.LogID)
			}
		}
		if len(ids) < 2 {
			t.Fatalf("votes landed on %d shards; the test needs several", len(ids))
		}
		ctx := context.Background()
		if err := s.Acknowledge(ctx, map[int][]string{0: {"1-1"}, 9: {"1-1"}}); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("acknowledge on shard 9 of 4: %v; want ErrInvalid", err)
		}
		if err := s.Acknowledge(ctx, ids); err != nil {
			t.Fatalf("acknowledge: %v", err)
		}
		checkEmptied(t, c, s, o.Prefix)
		if err := s.Acknowledge(ctx, nil); err != nil {
			t.Errorf("acknowledge nothing: %v", err)
		}
	})
}
