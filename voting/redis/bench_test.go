package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting/redis"
)

// BenchmarkAppend appends distinct votes from many goroutines, as the API
// does, and reports Redis's memory and CPU per vote next to the time. The
// CPU is that of every Redis process of the topology, persistence included,
// as INFO cpu counts it. Under "ballot"
// each voter fills a WSIS ballot (18 categories) and the per-account limit
// is on, with the default of `prizes serve`: the store's work per vote as
// the service runs it. The bare case is one vote per voter and no limit.
func BenchmarkAppend(b *testing.B) {
	limit := redis.Limit{Interval: time.Second, Burst: 30}
	for name, c := range testenv.Redises(b) {
		b.Run(name, func(b *testing.B) {
			benchmarkAppend(b, c, redis.Options{}, 1)
		})
		b.Run(name+"/ballot", func(b *testing.B) {
			benchmarkAppend(b, c, redis.Options{VoteLimit: limit}, 18)
		})
	}
}

// BenchmarkAppend_ackReplicas appends as BenchmarkAppend does (one vote per
// voter, no limit) to a Redis with one replica, without waiting for it and
// with AckReplicas 1, with one pipeline worker (serve's default) and with
// four, which keep sending while a pipeline waits for its replica.
func BenchmarkAppend_ackReplicas(b *testing.B) {
	primary, _ := primaryAndReplica(b)
	c := connect(b, primary.URL())
	for _, bc := range []struct {
		name string
		o    redis.Options
	}{
		{"ack0", redis.Options{}},
		{"ack1", redis.Options{AckReplicas: 1}},
		{"ack0/workers4", redis.Options{Workers: 4}},
		{"ack1/workers4", redis.Options{AckReplicas: 1, Workers: 4}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchmarkAppend(b, c, bc.o, 1)
		})
	}
}

// benchWindow is how many voters of BenchmarkAppend vote at a time.
const benchWindow = 1000

func benchmarkAppend(b *testing.B, c goredis.UniversalClient, o redis.Options, categories int64) {
	// The deadline is serve's default, so each append waits with its timer
	// armed, as in the service.
	o.Deadline = 1500 * time.Millisecond
	s := newStore(b, c, o)
	g := newVotes(b)
	ctx := context.Background()
	before, err := s.MemoryUsed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cpu := redisCPU(b, c)
	slots := make([]string, categories)
	for i := range slots {
		slots[i] = "C" + strconv.Itoa(i+1)
	}
	var n atomic.Int64
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
			// A thousand voters vote at a time, each once per thousand
			// votes, as the load generator's window has them: a voter's
			// votes rarely share a pipeline.
			i := n.Add(1) - 1
			round, seat := i/benchWindow, i%benchWindow
			v.VoterID = 1 + seat + benchWindow*(round/categories)
			v.Slot = slots[round%categories]
			v.Category = v.Slot
			if err := s.Append(ctx, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu = redisCPU(b, c) - cpu
	after, err := s.MemoryUsed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "redis-B/vote")
	b.ReportMetric(cpu*1e6/float64(b.N), "redis-µs/vote")
}

// redisCPU returns the CPU seconds every master of c has used, system and
// user time together.
func redisCPU(tb testing.TB, c goredis.UniversalClient) float64 {
	tb.Helper()
	var mu sync.Mutex
	var total float64
	read := func(ctx context.Context, c *goredis.Client) error {
		info, err := c.Info(ctx, "cpu").Result()
		if err != nil {
			return err
		}
		for _, line := range strings.Split(info, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			if k == "used_cpu_sys" || k == "used_cpu_user" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return fmt.Errorf("INFO cpu %s: %w", k, err)
				}
				mu.Lock()
				total += f
				mu.Unlock()
			}
		}
		return nil
	}
	if err := testenv.EachMaster(context.Background(), c, read); err != nil {
		tb.Fatalf("read redis cpu: %v", err)
	}
	return total
}
