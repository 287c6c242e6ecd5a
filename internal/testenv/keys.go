package testenv

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
)

// RedisPrefix returns a key prefix of the test's own on c, whose keys are
// deleted when the test ends.
func RedisPrefix(tb testing.TB, c redis.UniversalClient) string {
	tb.Helper()
	prefix := ID(tb)
	tb.Cleanup(func() { DeleteRedisKeys(tb, c, prefix) })
	return prefix
}

// DeleteRedisKeys removes every key under prefix, on every master.
func DeleteRedisKeys(tb testing.TB, c redis.UniversalClient, prefix string) {
	tb.Helper()
	ctx := context.Background()
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	if err := EachMaster(ctx, c, del); err != nil {
		tb.Errorf("delete test keys %s*: %v", prefix, err)
	}
}

// EachMaster calls fn for every master of c: each master of a cluster, at
// once, or the one server of a standalone client.
func EachMaster(ctx context.Context, c redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := c.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return fmt.Errorf("redis client of unknown kind %T", c)
}

// ClosedAddr returns a loopback address nothing listens on, for tests of an
// unreachable dependency.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
