package redis_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
	"github.com/wsisvote/prizes/voting/redis"
)

// memLedger is a ledger that keeps each vote id once, as the real one's
// unique key does.
type memLedger struct {
	mu      sync.Mutex
	votes   map[string]voting.Vote
	offered int
}

func (l *memLedger) Insert(_ context.Context, votes []voting.Vote) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.votes == nil {
		l.votes = make(map[string]voting.Vote)
	}
	inserted := 0
	for _, v := range votes {
		l.offered++
		if _, ok := l.votes[v.ID]; !ok {
			l.votes[v.ID] = v
			inserted++
		}
	}
	return inserted, nil
}

func (l *memLedger) counts() (unique, offered int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.votes), l.offered
}

// TestFlusher_crashAfterCommit rehearses a flusher dying between committing
// a batch and acknowledging it: a second flusher claims the batch, inserts it
// again, the ledger skips it, and every vote lands exactly once.
func TestFlusher_crashAfterCommit(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 4, Consumer: "first"}
		first := newStore(t, c, o)
		o.Consumer = "second"
		second := newStore(t, c, o)
		const n = 300
		vs := appendN(t, first, newVotes(t), n)
		ledger := &memLedger{}

		errCrash := errors.New("crash after commit")
		var crashed atomic.Bool
		f1 := &voting.Flusher{
			Stream:    first,
			Ledger:    ledger,
			BatchSize: 20,
			BatchWait: 10 * time.Millisecond,
			ClaimIdle: time.Hour,
			AfterCommit: func() error {
				if crashed.CompareAndSwap(false, true) {
					return errCrash
				}
				return nil
			},
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f1.Run(ctx); err == nil {
			t.Fatal("first flusher returned nil, want its AfterCommit error")
		}
		if p, _ := backlog(t, first); p == 0 {
			t.Fatal("nothing pending after the crash: the rehearsal did not leave a batch behind")
		}

		// The replacement starts once the dead flusher's entries have been
		// idle for longer than its ClaimIdle, so its first claim takes them.
		const claimIdle = 100 * time.Millisecond
		time.Sleep(2 * claimIdle)
		f2 := &voting.Flusher{
			Stream:    second,
			Ledger:    ledger,
			BatchSize: 50,
			BatchWait: 10 * time.Millisecond,
			ClaimIdle: claimIdle,
		}
		runUntilFlushed(ctx, t, f2, second, ledger, n)

		unique, offered := ledger.counts()
		if unique != n {
			t.Errorf("ledger holds %d votes, want %d", unique, n)
		}
		if offered <= n {
			t.Errorf("ledger was offered %d votes for %d: the crashed batch was not delivered again", offered, n)
		}
		for _, v := range vs {
			got, ok := ledger.votes[v.ID]
			if !ok {
				t.Errorf("vote %s missing from the ledger", v.ID)
				continue
			}
			sameVote(t, got, *v)
		}
		if got := logLen(t, c, o.Prefix, o.Shards); got != 0 {
			t.Errorf("log holds %d entries after flushing, want 0", got)
		}
	})
}

// runUntilFlushed runs f until the ledger holds n votes and s's log has
// nothing pending or unread, then stops it; it fails the test when ctx ends
// first or f fails.
func runUntilFlushed(ctx context.Context, t *testing.T, f *voting.Flusher, s *redis.Store, ledger *memLedger, n int) {
	t.Helper()
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(run) }()
	for {
		unique, _ := ledger.counts()
		p, u := backlog(t, s)
		if unique == n && p == 0 && u == 0 {
			break
		}
		if ctx.Err() != nil {
			stop()
			t.Fatalf("no convergence: ledger %d of %d, pending %d, unread %d", unique, n, p, u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("flusher: %v", err)
	}
}

// TestFlusher_restartResumes: a flusher that dies with a batch pending and
// comes back under the same consumer name takes its own pending entries back
// at once, without waiting for ClaimIdle (an hour here), and the ledger ends
// with every vote once.
func TestFlusher_restartResumes(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 4, Consumer: "same"}
		before := newStore(t, c, o)
		const n = 300
		vs := appendN(t, before, newVotes(t), n)
		ledger := &memLedger{}
		errCrash := errors.New("crash after commit")
		f1 := &voting.Flusher{
			Stream: before, Ledger: ledger, BatchSize: 20, BatchWait: 10 * time.Millisecond, ClaimIdle: time.Hour,
			AfterCommit: func() error { return errCrash },
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f1.Run(ctx); err == nil {
			t.Fatal("first flusher returned nil, want its AfterCommit error")
		}
		if p, _ := backlog(t, before); p == 0 {
			t.Fatal("nothing pending after the crash: the rehearsal did not leave a batch behind")
		}

		after := newStore(t, c, o)
		f2 := &voting.Flusher{Stream: after, Ledger: ledger, BatchSize: 50, BatchWait: 10 * time.Millisecond, ClaimIdle: time.Hour}
		runUntilFlushed(ctx, t, f2, after, ledger, n)
		for _, v := range vs {
			if _, ok := ledger.votes[v.ID]; !ok {
				t.Errorf("vote %s missing from the ledger", v.ID)
			}
		}
		if got := logLen(t, c, o.Prefix, o.Shards); got != 0 {
			t.Errorf("log holds %d entries after flushing, want 0", got)
		}
	})
}

// TestFlusher_invalidVotes runs the flusher from the Redis log into the real
// PostgreSQL ledger with votes the ledger can never hold, one of them in an
// entry it shares with a good vote: the good votes land, the bad ones go to
// the dead-letter stream with their reason and source entry, and the log
// empties, so nothing is held back or lost.
func TestFlusher_invalidVotes(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		o := redis.Options{Prefix: testenv.ID(t), Shards: 2}
		s := newStore(t, c, o)
		ledger := postgres.New(testenv.Postgres(t))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		edition := "e" + strconv.FormatInt(time.Now().UnixNano(), 36)
		project := uuid.NewString()
		mk := func(voter int64) *voting.Vote {
			return &voting.Vote{ID: uuid.Must(uuid.NewV7()).String(), Edition: edition, VoterID: voter, ProjectID: project,
				Category: "C1", Slot: "C1", Status: voting.StatusCounted, CastAt: time.Now().UTC()}
		}
		const good = 40
		for i := range good {
			if err := s.Append(ctx, mk(int64(i+1))); err != nil {
				t.Fatal(err)
			}
		}
		// Entries as the append script writes them, with spoiled votes.
		bad, badStatus, mate := mk(101), mk(102), mk(104)
		bad.ID = "not-a-uuid"
		badStatus.Status = "bogus"
		shared, err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0),
			Values: []any{"v1", redis.Encode(nil, bad), "v2", redis.Encode(nil, mate)}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.XAdd(ctx, &goredis.XAddArgs{Stream: logKey(o.Prefix, 0), Values: []any{"v1", redis.Encode(nil, badStatus)}}).Err(); err != nil {
			t.Fatal(err)
		}

		f := &voting.Flusher{Stream: s, Ledger: ledger, BatchSize: 500, BatchWait: 10 * time.Millisecond, ClaimIdle: time.Hour}
		run, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- f.Run(run) }()
		for {
			n, err := ledger.LedgerVotes(ctx, edition)
			if err != nil {
				t.Fatal(err)
			}
			p, u := backlog(t, s)
			if n == good+1 && p == 0 && u == 0 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no convergence: ledger %d of %d, pending %d, unread %d", n, good+1, p, u)
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("flusher: %v", err)
		}

		if got, err := s.SetAside(ctx); err != nil || got != 2 {
			t.Errorf("set aside %d, %v; want 2", got, err)
		}
		dead, err := c.XRange(ctx, o.Prefix+"{v0}:dead", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		aside := map[string]goredis.XMessage{}
		for _, m := range dead {
			enc, _ := m.Values["v1"].(string)
			v, err := redis.Decode([]byte(enc))
			if err != nil {
				t.Fatalf("dead letter %v: %v", m.Values, err)
			}
			aside[v.ID] = m
		}
		if m, ok := aside[bad.ID]; !ok || m.Values["source_id"] != shared || !strings.Contains(m.Values["error"].(string), "not-a-uuid") {
			t.Errorf("vote with a bad id set aside as %v (%v); want it with its entry %s and reason", m.Values, ok, shared)
		}
		if m, ok := aside[badStatus.ID]; !ok || m.Values["error"] == "" {
			t.Errorf("vote with a bad status set aside as %v (%v); want it with a reason", m.Values, ok)
		}
		if got := logLen(t, c, o.Prefix, o.Shards); got != 0 {
			t.Errorf("log holds %d entries after flushing, want 0", got)
		}
	})
}
