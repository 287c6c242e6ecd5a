package redis

import (
	"sync"
	"time"

	"github.com/wsisvote/prizes/identity"
)

// denyCache remembers, per limit key, until when Redis said the limit
// refuses. A refusal counts nothing, and other nodes can only push the
// limit's time further out, so until then Redis would refuse again: the
// cache answers a flood from a refused client without a round trip, which is
// where an attack would otherwise cost Redis the most. Each shard is bounded
// and forgets everything when full.
type denyCache struct {
	shards []denyShard
}

type denyShard struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// maxDenied bounds each shard of the cache.
const maxDenied = 1 << 14

func (c *denyCache) init(shards int) {
	c.shards = make([]denyShard, shards)
	for i := range c.shards {
		c.shards[i].m = make(map[string]time.Time)
	}
}

// check returns a refusal when one of t's limits is known to refuse at now.
func (c *denyCache) check(t *take, now time.Time) (identity.Verdict, bool) {
	for i, key := range t.keys {
		s := &c.shards[t.shards[i]]
		s.mu.Lock()
		until, ok := s.m[key]
		if ok && !now.Before(until) {
			delete(s.m, key)
			ok = false
		}
		s.mu.Unlock()
		if ok {
			return identity.Verdict{Refused: t.limits[i].Name, RetryAfter: until.Sub(now)}, true
		}
	}
	return identity.Verdict{}, false
}

func (c *denyCache) remember(key string, shard int, until time.Time) {
	s := &c.shards[shard]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxDenied {
		clear(s.m)
	}
	s.m[key] = until
}
