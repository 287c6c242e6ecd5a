package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clusterSlots is the number of hash slots of every Redis Cluster.
const clusterSlots = 16384

// Cluster is a Redis Cluster started for one run: masters only, each a
// dedicated redis-server on a free loopback port without persistence, with
// the hash slots shared evenly among them. It is what the design's "scaling
// out is configuration" is measured on.
type Cluster struct {
	// Masters are the nodes in the order of their slot ranges.
	Masters []*Redis
}

// StartRedisCluster starts masters nodes of bin, each with its files in a
// folder of its own under dir, gives each an equal range of slots, joins
// them and waits until every node reports the cluster ok and knows all the
// others.
func StartRedisCluster(ctx context.Context, bin, dir string, masters int) (*Cluster, error) {
	if masters < 1 {
		return nil, fmt.Errorf("start redis cluster: %d masters; at least one is needed", masters)
	}
	c := &Cluster{}
	fail := func(err error) (*Cluster, error) {
		c.Stop()
		return nil, fmt.Errorf("start redis cluster: %w", err)
	}
	for i := range masters {
		d := filepath.Join(dir, "redis-"+strconv.Itoa(i+1))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail(err)
		}
		n, err := startRedis(ctx, bin, d, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000")
		if err != nil {
			return fail(err)
		}
		c.Masters = append(c.Masters, n)
	}
	for i, n := range c.Masters {
		lo, hi := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
		if err := n.Client.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fail(fmt.Errorf("node %s: slots %d-%d: %w", n.addr, lo, hi, err))
		}
	}
	first := c.Masters[0]
	for _, n := range c.Masters[1:] {
		host, port, _ := strings.Cut(n.addr, ":")
		if err := first.Client.Do(ctx, "CLUSTER", "MEET", host, port).Err(); err != nil {
			return fail(fmt.Errorf("meet %s: %w", n.addr, err))
		}
	}
	if err := c.waitReady(ctx, 30*time.Second); err != nil {
		return fail(err)
	}
	return c, nil
}

// waitReady waits until every node says cluster_state:ok and knows every
// master: before that a client may be sent a MOVED to a node that does not
// own the slot yet, or find slots uncovered.
func (c *Cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	want := strconv.Itoa(len(c.Masters))
	for {
		var last error
		for _, n := range c.Masters {
			info, err := n.Client.ClusterInfo(ctx).Result()
			if err != nil {
				last = fmt.Errorf("node %s: %w", n.addr, err)
				break
			}
			f := clusterInfo(info)
			if f["cluster_state"] != "ok" || f["cluster_known_nodes"] != want {
				last = fmt.Errorf("node %s: state %s, %s of %s nodes known", n.addr, f["cluster_state"], f["cluster_known_nodes"], want)
				break
			}
		}
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, last)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clusterInfo parses the field:value lines of CLUSTER INFO.
func clusterInfo(s string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(s) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// Addrs returns the masters' addresses, host:port, in slot order.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Masters))
	for i, n := range c.Masters {
		addrs[i] = n.addr
	}
	return addrs
}

// URL returns the cluster's address in the form prizes reads as a cluster:
// redis-cluster:// and every master as a seed node.
func (c *Cluster) URL() string {
	return "redis-cluster://" + strings.Join(c.Addrs(), ",")
}

// Stop stops every node. A nil cluster is stopped already.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	for _, n := range c.Masters {
		n.Stop()
	}
}
