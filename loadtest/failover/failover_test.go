package failover_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/failover"
)

// TestRun_ackReplicas runs a short drill with --ack-replicas 1: a master is
// killed under load through two API nodes and its replica takes over, and
// no vote answered 202 (or 200 on a retry) is missing from the ledger or
// there twice; the probe on the killed master's shards failed and then
// recovered, and the report renders.
func TestRun_ackReplicas(t *testing.T) {
	dbURL := testenv.Env(t, "PRIZES_TEST_DATABASE_URL")
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "prizes")
	build := exec.Command("go", "build", "-o", bin, "github.com/wsisvote/prizes/cmd/prizes")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build prizes: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	rep, err := failover.Run(ctx, failover.Config{
		Prizes: bin, RedisServer: redisServer, DatabaseURL: dbURL, Env: os.Environ(), Log: &log, TempDir: t.TempDir(),
		AckReplicas: []int{1}, Rate: 200, Workers: 16, Before: 2 * time.Second, After: time.Second,
		NodeTimeout: time.Second, RetryFor: 20 * time.Second, ProbeEvery: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("drill: %v\n%s", err, log.String())
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(rep.Runs))
	}
	r := rep.Runs[0]
	if r.Tally.Acknowledged == 0 || r.Lost() != 0 || r.Tally.Duplicated != 0 || !r.Drained {
		t.Fatalf("acknowledged %d, lost %d, twice %d, drained %v; want none lost or twice\n%s",
			r.Tally.Acknowledged, r.Lost(), r.Tally.Duplicated, r.Drained, log.String())
	}
	if r.Probe.FailedAfterKill == 0 || !r.Probe.Recovered || r.Probe.Outage < r.Probe.LastFailure {
		t.Errorf("probe %+v: want failures after the kill, then a recovery", r.Probe)
	}
	if r.Failover.Promoted <= 0 || r.Failover.Rejoined < r.Failover.Promoted {
		t.Errorf("failover %+v: want the replica promoted, then the killed node back", r.Failover)
	}
	md, err := failover.Markdown(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(md), []byte("ack-replicas 1")) {
		t.Errorf("report does not name the setting:\n%s", md)
	}
}
