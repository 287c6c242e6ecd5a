package stack

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Failover is how a master's failover went: the times from its SIGKILL
// until a replica held its slots with the cluster ok again (Promoted), and
// until the killed node, started again, was an in-sync replica of the node
// that took its place (Rejoined).
type Failover struct {
	Killed   time.Time
	Promoted time.Duration
	Rejoined time.Duration
	// Master and Replica are the addresses of the node killed and of the
	// replica promoted in its place.
	Master, Replica string
}

// FailMaster kills master i with SIGKILL, as a crash would, waits until one
// of its replicas has taken over its slots and every live node says
// cluster_state:ok, then starts the killed node again with its files and
// waits until it is an in-sync replica of the new master: the cluster has
// as many replicas as before. Masters[i] is the promoted replica
// afterwards, and the killed node one of Replicas[i]. promoted, when not
// nil, is called as soon as the replica has taken over, before the killed
// node is started again.
func (c *Cluster) FailMaster(ctx context.Context, i int, promoted func(Failover)) (Failover, error) {
	if i < 0 || i >= len(c.Masters) || len(c.Replicas[i]) == 0 {
		return Failover{}, fmt.Errorf("fail master %d: no such master with a replica", i)
	}
	old := c.Masters[i]
	f := Failover{Master: old.addr, Killed: time.Now()}
	old.Kill()
	var took *Redis
	err := waitUntil(ctx, time.Minute, func(ctx context.Context) error {
		took = nil
		for _, r := range c.Replicas[i] {
			if info, err := r.Info(ctx, "replication"); err == nil && info["role"] == "master" {
				took = r
			}
		}
		if took == nil {
			return fmt.Errorf("no replica of %s promoted yet", old.addr)
		}
		for _, n := range c.nodes() {
			if n == old {
				continue
			}
			info, err := n.Client.ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("node %s: %w", n.addr, err)
			}
			if st := clusterInfo(info)["cluster_state"]; st != "ok" {
				return fmt.Errorf("node %s: cluster_state %s", n.addr, st)
			}
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("fail master %s: %w", old.addr, err)
	}
	f.Promoted, f.Replica = time.Since(f.Killed), took.addr
	c.Masters[i] = took
	c.Replicas[i] = append(slices.DeleteFunc(c.Replicas[i], func(r *Redis) bool { return r == took }), old)
	if promoted != nil {
		promoted(f)
	}
	if err := old.Restart(ctx); err != nil {
		return f, fmt.Errorf("fail master %s: %w", old.addr, err)
	}
	err = waitUntil(ctx, 2*time.Minute, func(ctx context.Context) error { return old.replicaOf(ctx, took) })
	if err != nil {
		return f, fmt.Errorf("fail master %s: rejoin: %w", old.addr, err)
	}
	f.Rejoined = time.Since(f.Killed)
	return f, nil
}
