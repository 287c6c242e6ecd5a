package stack

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StartRedisReplica starts bin as StartRedis does, with its files in dir,
// as a replica of m (a server outside a cluster), and waits until it is in
// sync with m. Kill and Restart break and mend the replication as a crash
// of the replica would.
func StartRedisReplica(ctx context.Context, bin, dir string, m *Redis) (*Redis, error) {
	host, port, _ := strings.Cut(m.addr, ":")
	r, err := startRedis(ctx, bin, dir, "--replicaof", host, port)
	if err != nil {
		return nil, err
	}
	if err := r.WaitReplicaOf(ctx, m, 30*time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// WaitReplicaOf waits until r is an in-sync replica of m, or timeout
// passes.
func (r *Redis) WaitReplicaOf(ctx context.Context, m *Redis, timeout time.Duration) error {
	if err := waitUntil(ctx, timeout, func(ctx context.Context) error { return r.replicaOf(ctx, m) }); err != nil {
		return fmt.Errorf("redis replica %s: %w", r.addr, err)
	}
	return nil
}
