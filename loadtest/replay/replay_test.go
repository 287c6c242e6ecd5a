package replay_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/replay"
	"github.com/wsisvote/prizes/loadtest/scenario"
)

// TestRun_smoke plays the smoke scenario end to end, on the single node and
// on the design scaled out (a 3-master Redis Cluster, two API nodes, two
// prizes flush processes): every stage runs, the ledger equals the 202
// answers and the generator's ground truth, and in the scaled-out layout
// every part took a share of the work, the flushers between them every
// vote; a backup restored into a new database verifies there.
func TestRun_smoke(t *testing.T) {
	dbURL := testenv.Env(t, "PRIZES_TEST_DATABASE_URL")
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	s, err := scenario.Load("../scenarios/smoke.json")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "prizes")
	build := exec.Command("go", "build", "-o", bin, "github.com/wsisvote/prizes/cmd/prizes")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build prizes: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name string
		topo replay.Topology
	}{
		{"single node", replay.Topology{}},
		{"scaled out", replay.Topology{RedisMasters: 3, APINodes: 2, Flushers: 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var log bytes.Buffer
			rep, err := replay.Run(ctx, replay.Config{
				Scenario: s, Prizes: bin, DatabaseURL: dbURL, RedisServer: redisServer,
				Env: os.Environ(), Log: &log, TempDir: t.TempDir(), Topology: tt.topo,
			})
			if err != nil {
				t.Fatalf("replay: %v\n%s", err, log.String())
			}
			if b := rep.Backup; b == nil || !b.OK || b.Bytes == 0 || b.AuditEntries == 0 {
				t.Fatalf("backup and restore: %+v\n%s", b, log.String())
			}
			c := rep.Correctness
			if !c.OK || c.Accepted != c.GroundTruth || c.Recounted != c.Accepted || len(c.Mismatches) != 0 {
				t.Fatalf("correctness: %+v\n%s", c, log.String())
			}
			if len(rep.Problems) > 0 {
				t.Errorf("problems: %v", rep.Problems)
			}
			var stages []string
			for _, st := range rep.Stages {
				stages = append(stages, st.Name)
			}
			want := []string{"provision", "ingest", "flush drain", "champions", "jury", "publish", "recount", "ledger file", "backup"}
			if len(stages) != len(want) {
				t.Fatalf("stages %v, want %v", stages, want)
			}
			// Every vote is a leaf of the log, whatever the flushers, and the
			// ledger file passed prizes verify ledger.
			if l := rep.Log; l == nil || !l.On || l.Leaves != c.Accepted || l.LedgerFileBytes == 0 {
				t.Fatalf("log figures %+v; want a leaf for each of the %d votes and a ledger file", l, c.Accepted)
			}
			if tt.topo.Single() {
				if rep.Spread != nil {
					t.Errorf("a single node's report has a spread: %+v", rep.Spread)
				}
				return
			}
			checkSpread(t, rep)
		})
	}
}

func checkSpread(t *testing.T, rep *replay.Report) {
	t.Helper()
	sp := rep.Spread
	if sp == nil {
		t.Fatal("no spread for a scaled-out layout")
	}
	if len(sp.Masters) != 3 {
		t.Errorf("%d masters in the spread, want 3", len(sp.Masters))
	}
	for _, m := range sp.Masters {
		if m.SlotClaims == 0 || m.ScriptCalls == 0 || m.Keys == 0 {
			t.Errorf("master %s took no share: %+v", m.Addr, m)
		}
	}
	if len(sp.APINodes) != 2 {
		t.Errorf("%d API nodes in the spread, want 2", len(sp.APINodes))
	}
	for _, n := range sp.APINodes {
		if n.Votes == 0 {
			t.Errorf("%s answered no vote", n.Name)
		}
	}
	var inserted float64
	for _, f := range sp.Flushers {
		inserted += f.Votes
	}
	if len(sp.Flushers) != 2 || int64(inserted) != rep.Correctness.Accepted {
		t.Errorf("flushers %+v inserted %v votes in all, want %d from 2", sp.Flushers, inserted, rep.Correctness.Accepted)
	}
}
