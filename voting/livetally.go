package voting

import (
	"context"
	"sync"
	"time"
)

// LiveCounts reads the live counters of an edition: project id to votes.
type LiveCounts interface {
	// Tally returns the live counts of edition, or kind.ErrUnavailable.
	Tally(ctx context.Context, edition string) (map[string]int64, error)
}

// CachedTally serves live counts from memory for up to TTL, so that a
// public tally page refreshed by many people at once costs the hot store
// one read per edition per TTL, not one per viewer. Concurrent readers of a
// stale entry wait for a single refresh.
type CachedTally struct {
	Source LiveCounts
	TTL    time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	entries map[string]*tallyEntry
}

type tallyEntry struct {
	mu     sync.Mutex
	at     time.Time
	counts map[string]int64
}

// Tally implements LiveCounts. The map it returns is shared with other
// callers and must not be changed.
func (c *CachedTally) Tally(ctx context.Context, edition string) (map[string]int64, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]*tallyEntry)
	}
	e := c.entries[edition]
	if e == nil {
		e = &tallyEntry{}
		c.entries[edition] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.Now()
	if e.counts != nil && now.Sub(e.at) < c.TTL {
		return e.counts, nil
	}
	counts, err := c.Source.Tally(ctx, edition)
	if err != nil {
		return nil, err
	}
	e.counts, e.at = counts, now
	return counts, nil
}
