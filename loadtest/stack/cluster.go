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

// Cluster is a Redis Cluster started for one run: masters, each a
// dedicated redis-server on a free loopback port, with the hash slots shared
// evenly among them, and optionally replicas of each. It is what the
// design's "scaling out is configuration" is measured on, and what the
// failover drill breaks.
type Cluster struct {
	// Masters are the nodes in the order of their slot ranges. After
	// Failover, a promoted replica takes its old master's place here.
	Masters []*Redis
	// Replicas are the replicas of each master, Replicas[i] those of
	// Masters[i]; a master killed by Failover and started again is a
	// replica of the node that took its place.
	Replicas [][]*Redis
}

// ClusterOptions shape a cluster StartRedisClusterWith starts. The zero
// value with Masters set is what StartRedisCluster starts.
type ClusterOptions struct {
	// Masters is the number of masters, at least one.
	Masters int
	// Replicas is the number of replicas of each master.
	Replicas int
	// NodeTimeout is the cluster-node-timeout: how long a node may not
	// answer before the others hold it failed and its replica takes over
	// (5s when zero).
	NodeTimeout time.Duration
	// Durable makes every node write each command to its append-only file
	// before answering (appendfsync always), as StartDurableRedis does;
	// otherwise nodes keep no files but the cluster's configuration.
	Durable bool
}

// StartRedisCluster starts masters nodes of bin, each with its files in a
// folder of its own under dir, without persistence or replicas, gives each
// an equal range of slots, joins them and waits until every node reports
// the cluster ok and knows all the others.
func StartRedisCluster(ctx context.Context, bin, dir string, masters int) (*Cluster, error) {
	return StartRedisClusterWith(ctx, bin, dir, ClusterOptions{Masters: masters})
}

// StartRedisClusterWith starts a cluster as o says: the masters as
// StartRedisCluster does, then o.Replicas replicas of each, and waits until
// every node reports the cluster ok and knows all the others and every
// replica is in sync with its master.
func StartRedisClusterWith(ctx context.Context, bin, dir string, o ClusterOptions) (*Cluster, error) {
	masters := o.Masters
	if masters < 1 {
		return nil, fmt.Errorf("start redis cluster: %d masters; at least one is needed", masters)
	}
	if o.Replicas < 0 {
		return nil, fmt.Errorf("start redis cluster: %d replicas per master", o.Replicas)
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = 5 * time.Second
	}
	args := []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.FormatInt(o.NodeTimeout.Milliseconds(), 10)}
	if o.Durable {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	c := &Cluster{Replicas: make([][]*Redis, masters)}
	fail := func(err error) (*Cluster, error) {
		c.Stop()
		return nil, fmt.Errorf("start redis cluster: %w", err)
	}
	var all []*Redis
	for i := range masters * (1 + o.Replicas) {
		d := filepath.Join(dir, "redis-"+strconv.Itoa(i+1))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail(err)
		}
		n, err := startRedis(ctx, bin, d, args...)
		if err != nil {
			return fail(err)
		}
		all = append(all, n)
		if i < masters {
			c.Masters = append(c.Masters, n)
		} else {
			m := (i - masters) % masters
			c.Replicas[m] = append(c.Replicas[m], n)
		}
	}
	for i, n := range c.Masters {
		lo, hi := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
		if err := n.Client.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fail(fmt.Errorf("node %s: slots %d-%d: %w", n.addr, lo, hi, err))
		}
	}
	first := c.Masters[0]
	for _, n := range all[1:] {
		host, port, _ := strings.Cut(n.addr, ":")
		if err := first.Client.Do(ctx, "CLUSTER", "MEET", host, port).Err(); err != nil {
			return fail(fmt.Errorf("meet %s: %w", n.addr, err))
		}
	}
	if o.Replicas > 0 {
		// A node can replicate a master only once it knows it.
		if err := waitUntil(ctx, 30*time.Second, c.joined); err != nil {
			return fail(err)
		}
		for i, m := range c.Masters {
			id, err := m.Client.ClusterMyID(ctx).Result()
			if err != nil {
				return fail(fmt.Errorf("node %s: %w", m.addr, err))
			}
			for _, r := range c.Replicas[i] {
				if err := r.Client.ClusterReplicate(ctx, id).Err(); err != nil {
					return fail(fmt.Errorf("node %s: replicate %s: %w", r.addr, m.addr, err))
				}
			}
		}
	}
	if err := c.waitReady(ctx, 30*time.Second); err != nil {
		return fail(err)
	}
	return c, nil
}

// nodes returns every node, masters first.
func (c *Cluster) nodes() []*Redis {
	out := append([]*Redis(nil), c.Masters...)
	for _, rs := range c.Replicas {
		out = append(out, rs...)
	}
	return out
}

// waitReady waits until every node says cluster_state:ok and knows every
// node, and every replica's link to its master is up: before that a client
// may be sent a MOVED to a node that does not own the slot yet, or find
// slots uncovered.
func (c *Cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	return waitUntil(ctx, timeout, func(ctx context.Context) error {
		if err := c.joined(ctx); err != nil {
			return err
		}
		for i, rs := range c.Replicas {
			for _, r := range rs {
				if err := r.replicaOf(ctx, c.Masters[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// joined says why some node does not say cluster_state:ok or does not know
// every node, or nil when all do.
func (c *Cluster) joined(ctx context.Context) error {
	nodes := c.nodes()
	want := strconv.Itoa(len(nodes))
	for _, n := range nodes {
		info, err := n.Client.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("node %s: %w", n.addr, err)
		}
		f := clusterInfo(info)
		if f["cluster_state"] != "ok" || f["cluster_known_nodes"] != want {
			return fmt.Errorf("node %s: state %s, %s of %s nodes known", n.addr, f["cluster_state"], f["cluster_known_nodes"], want)
		}
	}
	return nil
}

// replicaOf says why r is not an in-sync replica of m, or nil when it is.
func (r *Redis) replicaOf(ctx context.Context, m *Redis) error {
	f, err := r.Info(ctx, "replication")
	if err != nil {
		return fmt.Errorf("node %s: %w", r.addr, err)
	}
	_, port, _ := strings.Cut(m.addr, ":")
	if f["role"] != "slave" || f["master_port"] != port || f["master_link_status"] != "up" || f["master_sync_in_progress"] != "0" {
		return fmt.Errorf("node %s: role %s of port %s, link %s; want a replica of %s in sync",
			r.addr, f["role"], f["master_port"], f["master_link_status"], m.addr)
	}
	return nil
}

// waitUntil calls ready every 100ms until it returns nil, timeout passes or
// ctx ends, and returns its last error then.
func waitUntil(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		last := ready(ctx)
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
	for _, n := range c.nodes() {
		n.Stop()
	}
}
