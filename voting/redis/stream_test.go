package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
		if p, u := backlog(t, s); p != 0 || u != 0 {
			t.Errorf("backlog after ack: pending %d, unread %d; want 0, 0", p, u)
		}
		if got := logLen(t, c, o.Prefix, s.Shards()); got != 0 {
			t.Errorf("log holds %d entries after ack, want 0", got)
		}
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
		if p, u := backlog(t, first); p != 0 || u != 0 {
			t.Errorf("backlog after claim and ack: pending %d, unread %d; want 0, 0", p, u)
		}
		if got := logLen(t, c, o.Prefix, o.Shards); got != 0 {
			t.Errorf("log holds %d entries, want 0", got)
		}
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
		bad := []map[string]any{{"v": "garbage"}, {"other": "field"}}
		for _, values := range bad {
			if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0), Values: values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		good := g.vote(2, "C1", "p1")
		if err := s.Append(ctx, good); err != nil {
			t.Fatal(err)
		}

		es, err := s.Read(ctx, 0, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 {
			t.Fatalf("read %d entries, want the one good vote", len(es))
		}
		sameVote(t, es[0].Vote, *good)
		if got := s.DeadLetters(); got != int64(len(bad)) {
			t.Errorf("dead letters %d, want %d", got, len(bad))
		}
		dead, err := c.XRange(ctx, o.Prefix+"{v0}:dead", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != len(bad) || dead[0].Values["v"] != "garbage" || dead[1].Values["other"] != "field" {
			t.Errorf("dead-letter stream %v, want both bad entries kept", dead)
		}
		if err := s.Ack(ctx, 0, []string{es[0].LogID}); err != nil {
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
