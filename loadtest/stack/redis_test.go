package stack_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// TestRedis_Restart: every write a durable Redis answered is there again
// after SIGKILL and a restart from its append-only file, on the same
// address.
func TestRedis_Restart(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := stack.StartDurableRedis(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	const n = 500
	for i := range n {
		if err := r.Client.Incr(ctx, "k").Err(); err != nil {
			t.Fatalf("incr %d: %v", i, err)
		}
	}
	pid := r.PID()
	r.Kill()
	if err := r.Client.Ping(ctx).Err(); err == nil {
		t.Fatal("a killed redis answered PING")
	}
	if err := r.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if r.PID() == pid {
		t.Fatalf("same pid %d after restart", pid)
	}
	got, err := r.Client.Get(ctx, "k").Int()
	if err != nil || got != n {
		t.Fatalf("after restart: k = %d, %v; want %d", got, err, n)
	}
}
