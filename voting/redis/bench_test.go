package redis_test

import (
	"context"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting/redis"
)

// BenchmarkAppend appends distinct votes from many goroutines, as the API
// does, and reports Redis memory per vote next to the time.
func BenchmarkAppend(b *testing.B) {
	for name, c := range testenv.Redises(b) {
		b.Run(name, func(b *testing.B) {
			benchmarkAppend(b, c)
		})
	}
}

func benchmarkAppend(b *testing.B, c goredis.UniversalClient) {
	s := newStore(b, c, redis.Options{})
	g := newVotes(b)
	ctx := context.Background()
	before, err := s.MemoryUsed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var voter atomic.Int64
	b.ReportAllocs()
	// The API holds many requests in flight at once; batching depends on it.
	b.SetParallelism(128)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Append does not keep the vote once it returns, so one vote per
		// goroutine, changed in place, leaves only Append's own allocations
		// in the count.
		v := g.vote(1, "C1", "p1")
		for pb.Next() {
			v.VoterID = voter.Add(1)
			if err := s.Append(ctx, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	after, err := s.MemoryUsed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "redis-B/vote")
}
