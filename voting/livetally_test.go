package voting_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

type countingSource struct {
	reads atomic.Int64
	err   error
}

func (s *countingSource) Tally(_ context.Context, edition string) (map[string]int64, error) {
	n := s.reads.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	return map[string]int64{edition: n}, nil
}

func TestCachedTally_Tally(t *testing.T) {
	src := &countingSource{}
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	c := &voting.CachedTally{Source: src, TTL: time.Second, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	ctx := context.Background()

	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := c.Tally(ctx, "demo"); err != nil || got["demo"] != 1 {
				t.Errorf("Tally = %v, %v; want the first read", got, err)
			}
		}()
	}
	wg.Wait()
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("50 concurrent readers made %d reads; want 1", n)
	}
	if got, _ := c.Tally(ctx, "other"); got["other"] != 2 {
		t.Fatalf("another edition shares the cache: %v", got)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got, _ := c.Tally(ctx, "demo"); got["demo"] != 3 {
		t.Fatalf("after the TTL the cache was not refreshed: %v", got)
	}
	src.err = kind.ErrUnavailable
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if _, err := c.Tally(ctx, "demo"); !errors.Is(err, kind.ErrUnavailable) {
		t.Fatalf("a failed refresh answered %v; want kind.ErrUnavailable", err)
	}
}
