package stack_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// TestStartRedisCluster: three masters come up as one cluster that prizes
// reaches through the URL the cluster gives, every master holds a share of
// the keys, and Stop leaves no node listening.
func TestStartRedisCluster(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := stack.StartRedisCluster(ctx, bin, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if len(c.Masters) != 3 {
		t.Fatalf("%d masters, want 3", len(c.Masters))
	}
	client, err := vredis.Connect(c.URL())
	if err != nil {
		t.Fatalf("connect to %s: %v", c.URL(), err)
	}
	defer client.Close()
	const keys = 300
	for i := range keys {
		if err := client.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatalf("set through the cluster: %v", err)
		}
	}
	total := int64(0)
	for _, m := range c.Masters {
		n, err := m.Client.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("master %s holds no key of %d", m.Addr(), keys)
		}
		total += n
	}
	if total != keys {
		t.Errorf("the masters hold %d keys, want %d", total, keys)
	}
	c.Stop()
	for _, m := range c.Masters {
		if conn, err := net.DialTimeout("tcp", m.Addr(), time.Second); err == nil {
			conn.Close()
			t.Errorf("master %s still listens after Stop", m.Addr())
		}
	}
}
