package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	prefix := testenv.ID(b)
	b.Cleanup(func() { testenv.DeleteRedisKeys(b, rc, prefix) })
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
	for _, bc := range []struct {
		name string
		gate func(*testing.B) api.VoteGate
	}{
		{"ungated", func(*testing.B) api.VoteGate { return nil }},
		{"redis-limits", func(b *testing.B) api.VoteGate { return gateOnRedis(b) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc := &voting.Service{Catalogue: voting.NewCatalogue(testSnapshot()), Log: &discardLog{},
				Scorer: voting.CountAll{}, Now: time.Now, NewID: func() string { return "v" }}
			h := api.New(api.Config{Votes: svc, Catalogue: svc.Catalogue, Tokens: f.verify,
				Identity: api.IdentityConfig{Gate: bc.gate(b)}})
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", strings.NewReader(body))
					req.Header.Set("Authorization", toks[i%voters])
					req.Header.Set("Content-Type", "application/json")
					req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4000", i%200, i%250)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusAccepted {
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
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", strings.NewReader(body))
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
			}
		})
	})
}
