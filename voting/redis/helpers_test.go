package redis_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// eachRedis runs fn as a parallel subtest on every test topology.
func eachRedis(t *testing.T, fn func(t *testing.T, c goredis.UniversalClient)) {
	t.Helper()
	for name, c := range testenv.Redises(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, c)
		})
	}
}

// newStore builds a store under a key prefix of its own (o.Prefix, made up
// when empty), and closes it and deletes its keys when the test ends.
func newStore(tb testing.TB, c goredis.UniversalClient, o redis.Options) *redis.Store {
	tb.Helper()
	if o.Prefix == "" {
		o.Prefix = testenv.ID(tb)
	}
	tb.Cleanup(func() { testenv.DeleteRedisKeys(tb, c, o.Prefix) })
	s, err := redis.New(context.Background(), c, o)
	if err != nil {
		tb.Fatalf("new store: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// logKey is the shard stream's key, spelled out as the package documents it.
func logKey(prefix string, shard int) string {
	return prefix + "{v" + strconv.Itoa(shard) + "}:log"
}

// logLen returns the number of entries in every shard stream together.
func logLen(tb testing.TB, c goredis.UniversalClient, prefix string, shards int) int64 {
	tb.Helper()
	var total int64
	for i := range shards {
		n, err := c.XLen(context.Background(), logKey(prefix, i)).Result()
		if err != nil {
			tb.Fatalf("xlen shard %d: %v", i, err)
		}
		total += n
	}
	return total
}

// tallyOf returns an edition's live tally.
func tallyOf(tb testing.TB, s *redis.Store, edition string) map[string]int64 {
	tb.Helper()
	tally, err := s.Tally(context.Background(), edition)
	if err != nil {
		tb.Fatalf("tally: %v", err)
	}
	return tally
}

// tallyTotal returns the sum of an edition's live tally.
func tallyTotal(tb testing.TB, s *redis.Store, edition string) int64 {
	tb.Helper()
	var total int64
	for _, n := range tallyOf(tb, s, edition) {
		total += n
	}
	return total
}

// checkEmptied checks that s's log holds nothing any more: no entry pending
// or unread, and none left in the shard streams under prefix.
func checkEmptied(tb testing.TB, c goredis.UniversalClient, s *redis.Store, prefix string) {
	tb.Helper()
	if p, u := backlog(tb, s); p != 0 || u != 0 {
		tb.Errorf("backlog: pending %d, unread %d; want 0, 0", p, u)
	}
	if n := logLen(tb, c, prefix, s.Shards()); n != 0 {
		tb.Errorf("log holds %d entries; want 0", n)
	}
}

// logVotes counts the votes in the log's entries, which may hold several
// each, read straight from Redis.
func logVotes(tb testing.TB, c goredis.UniversalClient, prefix string, shards int) int64 {
	tb.Helper()
	var total int64
	for i := range shards {
		msgs, err := c.XRange(context.Background(), logKey(prefix, i), "-", "+").Result()
		if err != nil {
			tb.Fatalf("xrange shard %d: %v", i, err)
		}
		for _, m := range msgs {
			for f := range m.Values {
				if f != "t" {
					total++
				}
			}
		}
	}
	return total
}

// votes makes votes with ids unique to the test.
type votes struct {
	edition string
	n       atomic.Int64
	now     time.Time
}

func newVotes(tb testing.TB) *votes {
	tb.Helper()
	// A fixed instant far from today: Append replaces it with Redis's clock.
	now := time.Date(2021, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
	return &votes{edition: testenv.ID(tb), now: now}
}

// vote returns a counted vote by voter for project in category, under the
// one-vote-per-category rule.
func (g *votes) vote(voter int64, category, project string) *voting.Vote {
	i := g.n.Add(1)
	return &voting.Vote{
		ID:        fmt.Sprintf("%s-%06d", g.edition, i),
		Edition:   g.edition,
		VoterID:   voter,
		ProjectID: project,
		Category:  category,
		Slot:      category,
		Status:    voting.StatusCounted,
		CastAt:    g.now.Add(time.Duration(i) * time.Microsecond),
		Client: voting.Client{
			Network:    "192.0.2.0/24",
			UserAgent:  "Mozilla/5.0 (test)",
			DeviceHint: "d" + strconv.FormatInt(voter, 10),
			AccountAge: time.Duration(voter) * time.Hour,
		},
	}
}

// readAll reads every shard until nothing new comes, without acknowledging.
func readAll(tb testing.TB, s *redis.Store) map[int][]voting.Entry {
	tb.Helper()
	out := make(map[int][]voting.Entry)
	for shard := range s.Shards() {
		for {
			es, err := s.Read(context.Background(), shard, 1000, 10*time.Millisecond)
			if err != nil {
				tb.Fatalf("read shard %d: %v", shard, err)
			}
			if len(es) == 0 {
				break
			}
			out[shard] = append(out[shard], es...)
		}
	}
	return out
}

// sameVote fails the test unless got is want as it comes back from the log.
func sameVote(tb testing.TB, got, want voting.Vote) {
	tb.Helper()
	if !got.CastAt.Equal(want.CastAt) {
		tb.Errorf("vote %s: CastAt %v, want %v", want.ID, got.CastAt, want.CastAt)
	}
	got.CastAt, want.CastAt = time.Time{}, time.Time{}
	if len(want.Reasons) == 0 {
		want.Reasons = nil
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("vote %s:\n got %+v\nwant %+v", want.ID, got, want)
	}
}

func backlog(tb testing.TB, s *redis.Store) (pending, unread int64) {
	tb.Helper()
	pending, unread, err := s.Backlog(context.Background())
	if err != nil {
		tb.Fatalf("backlog: %v", err)
	}
	return pending, unread
}
