package redis_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting/redis"
)

func TestConnect(t *testing.T) {
	tests := []struct {
		url      string
		addr     string   // of a single-server client
		nodes    []string // of a cluster client
		user     string
		password string
	}{
		{url: "redis://10.0.0.1:6380/2", addr: "10.0.0.1:6380"},
		{url: "rediss://:s3cret@cache.example:6379/0", addr: "cache.example:6379", password: "s3cret"},
		{url: "redis-cluster://a:7000,b:7001", nodes: []string{"a:7000", "b:7001"}},
		{url: "redis-cluster://app:p%40ss@a:7000,b:7001", nodes: []string{"a:7000", "b:7001"}, user: "app", password: "p@ss"},
		{url: " a:7000, b:7001 ,c:7002", nodes: []string{"a:7000", "b:7001", "c:7002"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := redis.Connect(tt.url)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer c.Close()
			switch c := c.(type) {
			case *goredis.Client:
				o := c.Options()
				if tt.addr == "" || o.Addr != tt.addr || o.Password != tt.password {
					t.Errorf("client on %s (password %q), want %+v", o.Addr, o.Password, tt)
				}
				if o.PoolSize < 64 || o.ReadTimeout <= 0 || o.DialTimeout <= 0 {
					t.Errorf("pool %d, read timeout %v, dial timeout %v: want a tuned client", o.PoolSize, o.ReadTimeout, o.DialTimeout)
				}
			case *goredis.ClusterClient:
				o := c.Options()
				if !slices.Equal(o.Addrs, tt.nodes) || o.Username != tt.user || o.Password != tt.password {
					t.Errorf("cluster on %v (user %q, password %q), want %+v", o.Addrs, o.Username, o.Password, tt)
				}
				if o.PoolSize < 64 || o.ReadTimeout <= 0 {
					t.Errorf("pool %d, read timeout %v: want a tuned client", o.PoolSize, o.ReadTimeout)
				}
			default:
				t.Fatalf("client %T", c)
			}
		})
	}
}

func TestConnect_invalid(t *testing.T) {
	for _, url := range []string{"", "  ", "http://x:1", "redis-cluster://", "a:7000,nohostport", "redis://x:1/notadb"} {
		t.Run(url, func(t *testing.T) {
			c, err := redis.Connect(url)
			if err == nil {
				c.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, redis.ErrBadURL) {
				t.Errorf("error %v, want ErrBadURL", err)
			}
		})
	}
}

func TestConnect_live(t *testing.T) {
	t.Parallel()
	urls := map[string]string{
		"standalone": testenv.RedisURL(t),
		"cluster":    "redis-cluster://" + strings.Join(testenv.RedisClusterAddrs(t), ","),
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := redis.Connect(url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			s := newStore(t, c, redis.Options{Shards: 3})
			if err := s.Ping(context.Background()); err != nil {
				t.Errorf("ping: %v", err)
			}
			if err := s.Append(context.Background(), newVotes(t).vote(5, "C1", "p1")); err != nil {
				t.Errorf("append: %v", err)
			}
		})
	}
}
