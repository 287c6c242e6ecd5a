package redis_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting/redis"
)

// cutter dials the real address until it is cut; then it closes every
// connection it made and dials a closed port instead, as if Redis had gone
// away.
type cutter struct {
	closed string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func (c *cutter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		addr = c.closed
	}
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil {
		c.conns = append(c.conns, conn)
	}
	return conn, err
}

func (c *cutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for _, conn := range c.conns {
		conn.Close()
	}
}

// dialedClients returns a client of each test topology that dials through
// dial. Retries are few so that failing is quick.
func dialedClients(tb testing.TB, dial func(context.Context, string, string) (net.Conn, error)) map[string]goredis.UniversalClient {
	tb.Helper()
	o, err := goredis.ParseURL(testenv.RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	o.Dialer, o.MaxRetries, o.DialerRetries, o.DialTimeout = dial, 1, 1, time.Second
	single := goredis.NewClient(o)
	cluster := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs:         testenv.RedisClusterAddrs(tb),
		Dialer:        dial,
		MaxRetries:    1,
		DialerRetries: 1,
		DialTimeout:   time.Second,
	})
	tb.Cleanup(func() { single.Close(); cluster.Close() })
	return map[string]goredis.UniversalClient{"standalone": single, "cluster": cluster}
}

func TestNew_unavailable(t *testing.T) {
	t.Parallel()
	addr := testenv.ClosedAddr(t)
	clients := map[string]goredis.UniversalClient{
		"standalone": goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: 1, DialerRetries: 1}),
		"cluster":    goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{addr}, MaxRetries: 1, DialerRetries: 1}),
	}
	for name, c := range clients {
		t.Cleanup(func() { c.Close() })
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := redis.New(context.Background(), c, redis.Options{})
			if err == nil {
				s.Close()
				t.Fatal("new store on a closed port: no error")
			}
			if !errors.Is(err, kind.ErrUnavailable) {
				t.Errorf("new store on a closed port: %v, want ErrUnavailable", err)
			}
		})
	}
}

// TestStore_unavailable checks that every operation reports ErrUnavailable
// once the Redis the store was using cannot be reached any more.
func TestStore_unavailable(t *testing.T) {
	t.Parallel()
	cut := &cutter{closed: testenv.ClosedAddr(t)}
	clients := dialedClients(t, cut.dial)
	// The keys are deleted afterwards through clients that were never cut.
	admin := testenv.Redises(t)
	stores := make(map[string]*redis.Store)
	for name, c := range clients {
		o := redis.Options{Shards: 2, Prefix: testenv.ID(t)}
		t.Cleanup(func() { testenv.DeleteRedisKeys(t, admin[name], o.Prefix) })
		s, err := redis.New(context.Background(), c, o)
		if err != nil {
			t.Fatalf("new store: %v", err)
		}
		t.Cleanup(s.Close)
		stores[name] = s
	}
	g := newVotes(t)
	ctx := context.Background()
	for _, s := range stores {
		if err := s.Append(ctx, g.vote(1, "C1", "p1")); err != nil {
			t.Fatalf("append before the cut: %v", err)
		}
	}
	cut.Cut()
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			ops := map[string]func() error{
				"append": func() error { return s.Append(ctx, g.vote(2, "C1", "p1")) },
				"read": func() error {
					_, err := s.Read(ctx, 0, 10, time.Millisecond)
					return err
				},
				"claim": func() error {
					_, err := s.Claim(ctx, 0, 10, time.Millisecond)
					return err
				},
				"ack": func() error { return s.Ack(ctx, 0, []string{"1-1"}) },
				"tally": func() error {
					_, err := s.Tally(ctx, g.edition)
					return err
				},
				"backlog": func() error {
					_, _, err := s.Backlog(ctx)
					return err
				},
				"ping": func() error { return s.Ping(ctx) },
			}
			for op, fn := range ops {
				if err := fn(); !errors.Is(err, kind.ErrUnavailable) {
					t.Errorf("%s after the cut: %v, want ErrUnavailable", op, err)
				}
			}
		})
	}
}
