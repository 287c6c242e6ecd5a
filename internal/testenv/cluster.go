package testenv

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// testCluster is the 3-master Redis Cluster of one test process. It is
// started by the first test that asks for it, with loadtest/stack (the one
// place that provisions clusters, for the replay harness too), and stopped
// by StopRedisCluster when the process's tests end. Tests share it as they
// share the standalone Redis: each under its own key prefix.
var testCluster struct {
	sync.Mutex
	c   *stack.Cluster
	err error
}

// RedisClusterAddrs returns the addresses of the test process's 3-master
// Redis Cluster, starting it on free loopback ports in PRIZES_TEST_TMP the
// first time. A package that uses it stops it from TestMain with
// StopRedisCluster; `make test` also stops any node still running when it
// ends, by the pid file each node writes.
func RedisClusterAddrs(tb testing.TB) []string {
	tb.Helper()
	tmp := Env(tb, "PRIZES_TEST_TMP")
	testCluster.Lock()
	defer testCluster.Unlock()
	if testCluster.c == nil && testCluster.err == nil {
		testCluster.c, testCluster.err = startCluster(tmp)
	}
	if testCluster.err != nil {
		tb.Fatalf("test redis cluster: %v", testCluster.err)
	}
	return testCluster.c.Addrs()
}

func startCluster(tmp string) (*stack.Cluster, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "cluster-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return stack.StartRedisCluster(ctx, bin, dir, 3)
}

// StopRedisCluster stops the test process's cluster, if a test started it.
func StopRedisCluster() {
	testCluster.Lock()
	defer testCluster.Unlock()
	testCluster.c.Stop()
	testCluster.c, testCluster.err = nil, nil
}
