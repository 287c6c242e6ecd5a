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

// TestCluster_FailMaster: a cluster of three masters with a replica each
// comes up with every replica in sync; after FailMaster kills a master, its
// replica holds its keys and serves its slots, the killed node is back as a
// replica of it, and every key can be read and written through the cluster.
func TestCluster_FailMaster(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := stack.StartRedisClusterWith(ctx, bin, t.TempDir(), stack.ClusterOptions{
		Masters: 3, Replicas: 1, NodeTimeout: time.Second, Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if len(c.Masters) != 3 || len(c.Replicas) != 3 || len(c.Replicas[0]) != 1 {
		t.Fatalf("%d masters, replicas %v; want 3 with one each", len(c.Masters), c.Replicas)
	}
	client, err := vredis.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const keys = 300
	for i := range keys {
		if err := client.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatalf("set through the cluster: %v", err)
		}
	}
	old := c.Masters[0]
	held, err := old.Client.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := old.Client.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("wait for the replica: %d, %v", n, err)
	}
	var seen stack.Failover
	f, err := c.FailMaster(ctx, 0, func(f stack.Failover) { seen = f })
	if err != nil {
		t.Fatal(err)
	}
	if seen.Replica == "" || f.Replica != seen.Replica || f.Master != old.Addr() || f.Promoted <= 0 || f.Rejoined < f.Promoted {
		t.Fatalf("failover %+v, seen on promotion %+v", f, seen)
	}
	if c.Masters[0].Addr() != f.Replica || c.Replicas[0][0] != old {
		t.Fatalf("master 0 is %s, its replica %s; want %s and %s", c.Masters[0].Addr(), c.Replicas[0][0].Addr(), f.Replica, old.Addr())
	}
	if n, err := c.Masters[0].Client.DBSize(ctx).Result(); err != nil || n != held {
		t.Fatalf("the promoted replica holds %d keys (%v); the master held %d", n, err, held)
	}
	for i := range keys {
		// The client finds the new master after a redirection or two.
		var got int
		var err error
		for try := 0; try < 50; try++ {
			if got, err = client.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil || got != i {
			t.Fatalf("get k%d after the failover: %d, %v", i, got, err)
		}
	}
}
