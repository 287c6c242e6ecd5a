package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
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
		ctx2, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- f2.Run(ctx2) }()
		for {
			unique, _ := ledger.counts()
			p, u := backlog(t, second)
			if unique == n && p == 0 && u == 0 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no convergence: ledger %d of %d, pending %d, unread %d", unique, n, p, u)
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Errorf("second flusher: %v", err)
		}

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
