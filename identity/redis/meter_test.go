package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
)

// eachRedis runs fn as a parallel subtest on every test topology.
func eachRedis(t *testing.T, fn func(t *testing.T, c goredis.UniversalClient)) {
	t.Helper()
	for name, c := range testenv.Redises(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, c)
		})
	}
}

func newMeter(tb testing.TB, c goredis.UniversalClient) *redis.Meter {
	tb.Helper()
	prefix := testenv.RedisPrefix(tb, c)
	m, err := redis.New(context.Background(), c, redis.Options{Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return m
}

func TestMeter_Take(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		m := newMeter(t, c)
		rate := identity.Rate{Events: 4, Per: 400 * time.Millisecond, Burst: 2} // one per 100ms
		limit := identity.Limit{Name: "vote-account", Key: "42", Rate: rate}
		other := identity.Limit{Name: "vote-account", Key: "43", Rate: rate}
		for i := range 2 {
			v, err := m.Take(ctx, []identity.Limit{limit}, identity.Spend{})
			if err != nil || v.Refused != "" {
				t.Fatalf("request %d: %+v, %v", i, v, err)
			}
		}
		v, err := m.Take(ctx, []identity.Limit{other, limit}, identity.Spend{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Refused != "vote-account" || v.RetryAfter <= 0 || v.RetryAfter > 100*time.Millisecond {
			t.Fatalf("past the burst: %+v, want refused for up to 100ms", v)
		}
		time.Sleep(v.RetryAfter + 5*time.Millisecond)
		if v, err := m.Take(ctx, []identity.Limit{limit}, identity.Spend{}); err != nil || v.Refused != "" {
			t.Errorf("after the wait: %+v, %v", v, err)
		}
		if _, err := m.Take(ctx, []identity.Limit{{Name: "x", Key: "y"}}, identity.Spend{}); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("limit without a rate: %v", err)
		}
	})
}

// TestMeter_DeniedLocally checks that a client refused once is refused
// again without a round trip until its wait is over: here the meter is
// closed, so any request that reached Redis would fail instead.
func TestMeter_DeniedLocally(t *testing.T) {
	m := newMeter(t, testenv.Redis(t))
	ctx := context.Background()
	limit := identity.Limit{Name: "vote-ip", Key: "flood", Rate: identity.Rate{Events: 1, Per: time.Hour, Burst: 1}}
	other := identity.Limit{Name: "vote-account", Key: "7", Rate: identity.Rate{Events: 1, Per: time.Hour, Burst: 1}}
	if v, err := m.Take(ctx, []identity.Limit{limit}, identity.Spend{}); err != nil || v.Refused != "" {
		t.Fatalf("first: %+v, %v", v, err)
	}
	if v, err := m.Take(ctx, []identity.Limit{limit}, identity.Spend{}); err != nil || v.Refused != "vote-ip" {
		t.Fatalf("second: %+v, %v", v, err)
	}
	m.Close()
	v, err := m.Take(ctx, []identity.Limit{other, limit}, identity.Spend{})
	if err != nil || v.Refused != "vote-ip" || v.RetryAfter <= 59*time.Minute {
		t.Errorf("after close: %+v, %v; want the remembered refusal", v, err)
	}
}

// TestMeter_TakeConcurrent checks that concurrent requests sharing pipelines
// are each counted once: of 60 at once against a burst of 10, exactly 10
// pass.
func TestMeter_TakeConcurrent(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		m := newMeter(t, c)
		limit := identity.Limit{Name: "code-ip", Key: "abc", Rate: identity.Rate{Events: 1, Per: time.Hour, Burst: 10}}
		var allowed, refused atomic.Int32
		var wg sync.WaitGroup
		for range 60 {
			wg.Go(func() {
				v, err := m.Take(context.Background(), []identity.Limit{limit}, identity.Spend{})
				switch {
				case err != nil:
					t.Error(err)
				case v.Refused == "":
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 10 || refused.Load() != 50 {
			t.Errorf("allowed %d, refused %d; want 10 and 50", allowed.Load(), refused.Load())
		}
	})
}

func TestMeter_Spend(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		m := newMeter(t, c)
		spend := identity.Spend{Key: "c0ffee", Until: time.Now().Add(time.Minute)}
		var fresh atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				v, err := m.Take(ctx, nil, spend)
				if err != nil {
					t.Error(err)
				} else if !v.Replayed {
					fresh.Add(1)
				}
			})
		}
		wg.Wait()
		if fresh.Load() != 1 {
			t.Errorf("%d of 20 concurrent spends were fresh, want 1", fresh.Load())
		}
		limit := identity.Limit{Name: "vote-ip", Key: "k", Rate: identity.Rate{Events: 1, Per: time.Second, Burst: 5}}
		v, err := m.Take(ctx, []identity.Limit{limit}, identity.Spend{Key: "other", Until: time.Now().Add(time.Minute)})
		if err != nil || v.Replayed || v.Refused != "" {
			t.Errorf("limit and spend together: %+v, %v", v, err)
		}
	})
}

func TestMeter_Count(t *testing.T) {
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		ctx := context.Background()
		m := newMeter(t, c)
		cs := []identity.Counter{{Name: "challenges", Key: "vote", Window: time.Hour}, {Name: "challenges-client", Key: "h1", Window: time.Hour}}
		var last []int64
		for range 3 {
			var err error
			if last, err = m.Count(ctx, cs); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(last) != "[3 3]" {
			t.Errorf("counts = %v, want [3 3]", last)
		}
	})
}

func TestMeter_Unavailable(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: testenv.ClosedAddr(t), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	if _, err := redis.New(context.Background(), c, redis.Options{}); !errors.Is(err, kind.ErrUnavailable) {
		t.Errorf("New on a closed port: %v, want ErrUnavailable", err)
	}
	up := testenv.Redis(t)
	m := newMeter(t, up)
	m.Close()
	if _, err := m.Take(context.Background(), nil, identity.Spend{Key: "x", Until: time.Now().Add(time.Minute)}); !errors.Is(err, kind.ErrUnavailable) {
		t.Errorf("Take after Close: %v, want ErrUnavailable", err)
	}
}

// BenchmarkMeter_Take measures the vote path's limits: two limits per
// request, many concurrent requests sharing pipelines.
func BenchmarkMeter_Take(b *testing.B) {
	c := testenv.Redis(b)
	m := newMeter(b, c)
	rate := identity.Rate{Events: 1_000_000, Per: time.Second, Burst: 1_000_000}
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			limits := []identity.Limit{
				{Name: "vote-ip", Key: fmt.Sprint(i % 1000), Rate: rate},
				{Name: "vote-account", Key: fmt.Sprint(i), Rate: rate},
			}
			if _, err := m.Take(context.Background(), limits, identity.Spend{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
