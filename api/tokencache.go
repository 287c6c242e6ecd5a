package api

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cacheShards spreads the token cache over independent locks, so concurrent
// requests rarely wait for each other.
const cacheShards = 64

// tokenCache remembers verified tokens by the SHA-256 of the token string
// until they expire. It is bounded: a full shard first drops its expired
// entries and, if still full, forgets everything, which costs at most one
// more signature check per live token.
type tokenCache struct {
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	claims Claims
	gen    uint64
	exp    time.Time
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]cachedToken)
	}
	return c
}

// tokenKey returns the cache key of token: the SHA-256 of the whole token.
// Converting a token of usual size to []byte would allocate on every
// request, so it is copied to a buffer on the stack instead; a token longer
// than the buffer is converted.
func tokenKey(token string) [sha256.Size]byte {
	var buf [1 << 10]byte
	if len(token) > len(buf) {
		return sha256.Sum256([]byte(token))
	}
	n := copy(buf[:], token)
	return sha256.Sum256(buf[:n])
}

// shard picks by the first byte of the hash, which is uniform.
func (c *tokenCache) shard(k [sha256.Size]byte) *cacheShard {
	return &c.shards[int(k[0])%cacheShards]
}

// get returns the claims of a token verified under key generation gen that
// has not expired by now.
func (c *tokenCache) get(k [sha256.Size]byte, gen uint64, now time.Time) (Claims, bool) {
	s := c.shard(k)
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || e.gen != gen || !now.Before(e.exp) {
		return Claims{}, false
	}
	return e.claims, true
}

func (c *tokenCache) put(k [sha256.Size]byte, claims Claims, gen uint64, exp, now time.Time) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.perShard {
		for key, e := range s.m {
			if !now.Before(e.exp) {
				delete(s.m, key)
			}
		}
		if len(s.m) >= c.perShard {
			clear(s.m)
		}
	}
	s.m[k] = cachedToken{claims: claims, gen: gen, exp: exp}
}

// clear forgets every token.
func (c *tokenCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
