package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	iredis "github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// benchSecrets is a fixed identity.Secrets, so the benchmark needs no
// database.
type benchSecrets struct{}

func (benchSecrets) Secrets(_ context.Context, purpose string, now time.Time, _, _ time.Duration) ([]identity.Secret, error) {
	return []identity.Secret{{ID: purpose, Key: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: now}}, nil
}

// unusedStores stands in for the stores the vote gate never calls.
type unusedStores struct {
	identity.Accounts
	identity.Codes
	identity.Sessions
	identity.Mailer
}

// gateOnRedis is the vote gate of production: per-address and per-account
// limits on the test Redis, with rates no benchmark reaches.
func gateOnRedis(b *testing.B) *identity.Service {
	b.Helper()
	rc := testenv.Redis(b)
	prefix := testenv.RedisPrefix(b, rc)
	meter, err := iredis.New(context.Background(), rc, iredis.Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(meter.Close)
	huge := identity.Rate{Events: 100_000_000, Per: time.Second, Burst: 100_000_000}
	u := unusedStores{}
	svc, err := identity.New(context.Background(), identity.Config{
		Accounts: u, Codes: u, Sessions: u, Mailer: u, Secrets: benchSecrets{}, Meter: meter,
		Limits: identity.Limits{VotePerIP: huge, VotePerAccount: huge},
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// benchClients is how many requests are in flight at once: a server takes
// many connections at a time, and a path with round trips needs requests in
// flight to keep the CPU busy, as it would be under load.
const benchClients = 256

func discard(*testing.B) voting.Log { return &discardLog{} }

func ungated(*testing.B) api.VoteGate { return nil }

func redisGate(b *testing.B) api.VoteGate { return gateOnRedis(b) }

// redisLog is the vote log of production on the test Redis. The
// benchmark's voters vote again and again in the same slot, so most votes
// are answered 409 by the dedup step: the same one atomic step, which is
// what the benchmark weighs.
func redisLog(b *testing.B) voting.Log {
	b.Helper()
	rc := testenv.Redis(b)
	prefix := testenv.RedisPrefix(b, rc)
	s, err := vredis.New(context.Background(), rc, vredis.Options{Prefix: prefix, Shards: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}

// BenchmarkVotePath_Gated is BenchmarkVotePath with the vote gate of
// production in front: the rate limits on a real Redis, one pipelined round
// trip shared by concurrent votes. Each voter has its own token, so the
// per-account limit is a different key for each, as under real load; the
// plain Gin handler beside it is the ratio's denominator.
func BenchmarkVotePath_Gated(b *testing.B) {
	f := newFixture(b)
	const voters = 4096
	toks := make([]string, voters)
	for i := range toks {
		toks[i] = "Bearer " + f.token(b, fmt.Sprint(i+1), api.RoleVoter)
	}
	const body = `{"project_id":"p-c1-a"}`
	var ids atomic.Int64
	for _, bc := range []struct {
		name string
		log  func(*testing.B) voting.Log
		gate func(*testing.B) api.VoteGate
	}{
		{"discard-log/ungated", discard, ungated},
		{"discard-log/redis-limits", discard, redisGate},
		{"redis-log/ungated", redisLog, ungated},
		{"redis-log/redis-limits", redisLog, redisGate},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc := &voting.Service{Catalogue: voting.NewCatalogue(testSnapshot()), Log: bc.log(b),
				Scorer: voting.CountAll{}, Now: time.Now, NewID: func() string { return fmt.Sprint("v", ids.Add(1)) }}
			h := api.New(api.Config{Votes: svc, Catalogue: svc.Catalogue, Tokens: f.verify,
				Identity: api.IdentityConfig{Gate: bc.gate(b)}})
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(benchClients / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", strings.NewReader(body))
					// Each request is a new voter, as the dedup bitmap would
					// refuse a second vote in the slot.
					req.Header.Set("Authorization", toks[i%voters])
					req.Header.Set("Content-Type", "application/json")
					req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4000", i%200, i%250)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusAccepted && w.Code != http.StatusConflict {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		})
	}
	b.Run("plain-gin", func(b *testing.B) {
		gin.SetMode(gin.ReleaseMode)
		e := gin.New()
		e.POST("/api/v1/editions/:edition/votes", func(c *gin.Context) {
			c.JSON(http.StatusAccepted, gin.H{"vote_id": "v", "status": "accepted", "category": "C1"})
		})
		b.ReportAllocs()
		b.SetParallelism(benchClients / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", strings.NewReader(body))
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
			}
		})
	})
}
