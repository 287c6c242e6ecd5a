package replay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/replay"
)

func reportWith(topo replay.Topology, cores map[string]float64, spread *replay.Spread) *replay.Report {
	return &replay.Report{
		Scenario: "wsis2021", Date: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC),
		Settings: replay.Settings{Voters: 72000, Categories: 18, Votes: 1296000, Topology: topo},
		Stages: []replay.Stage{
			{Name: "provision", Elapsed: 4 * time.Second},
			{Name: "ingest", Elapsed: 50 * time.Second, Cores: cores},
		},
		Ingest: replay.IngestReport{Accepted: 1250000, AcceptedPerS: 25000},
		Spread: spread,
	}
}

func TestMarkdown_scaledOut(t *testing.T) {
	topo := replay.Topology{RedisMasters: 3, APINodes: 2, Flushers: 2}
	cores := map[string]float64{"prizes serve": 1, "prizes flush": 0.1, "redis": 0.3, "postgres": 0.15, "loadgen": 0.3, "machine": 1.9}
	spread := &replay.Spread{
		Masters: []replay.MasterShare{
			{Addr: "127.0.0.1:7001", Keys: 10, ScriptCalls: 100, SlotClaims: 600, CPUSeconds: 6},
			{Addr: "127.0.0.1:7002", Keys: 9, ScriptCalls: 90, SlotClaims: 200, CPUSeconds: 2},
			{Addr: "127.0.0.1:7003", Keys: 9, ScriptCalls: 90, SlotClaims: 200, CPUSeconds: 2},
		},
		APINodes: []replay.NodeShare{{Name: "prizes serve 1", Votes: 750}, {Name: "prizes serve 2", Votes: 250}},
		Flushers: []replay.NodeShare{{Name: "prizes flush 1", Votes: 500}, {Name: "prizes flush 2", Votes: 500}},
	}
	md := markdown(t, reportWith(topo, cores, spread))
	for _, want := range []string{
		"a cluster of 3 masters",
		"Deployment: 2 prizes serve nodes, 2 prizes flush processes and none inside prizes serve, a 3-master Redis Cluster",
		"cores busy: serve / flush / redis / postgres / generator / rest / machine",
		// rest is the machine less every named process: 1.9 - 1.85.
		"| 1.00 / 0.10 / 0.30 / 0.15 / 0.30 / 0.05 / 1.90 |",
		// 1 core at 25,000 votes/s is 40 µs a vote.
		"serve 40.0 µs, flush 4.0 µs, redis 12.0 µs, postgres 6.0 µs, generator 12.0 µs; the whole machine 76.0 µs",
		"## Spread over the deployment",
		"| 127.0.0.1:7001 | 10 | 100 | 600 | 60% | 6.0 s | 60% |",
		"| prizes serve 1 | 750 | 75% |",
		"| prizes flush 2 | 500 | 50% |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

func TestMarkdown_singleNode(t *testing.T) {
	cores := map[string]float64{"prizes serve": 1, "redis": 0.25, "postgres": 0.15, "loadgen": 0.4, "machine": 1.9}
	md := markdown(t, reportWith(replay.Topology{}, cores, nil))
	for _, want := range []string{
		"cores busy: serve / redis / postgres / generator / rest / machine",
		"| 1.00 / 0.25 / 0.15 / 0.40 / 0.10 / 1.90 |",
		"serve 40.0 µs, redis 10.0 µs, postgres 6.0 µs, generator 16.0 µs;",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	for _, unwanted := range []string{"Deployment:", "Spread over", "/ flush /", "prizes flush"} {
		if strings.Contains(md, unwanted) {
			t.Errorf("a single node's report has %q:\n%s", unwanted, md)
		}
	}
}

func TestIngestCPUPerVote(t *testing.T) {
	rep := reportWith(replay.Topology{}, map[string]float64{"redis": 0.5}, nil)
	if got := replay.IngestCPUPerVote(rep)["redis"]; got != 20 {
		t.Errorf("redis per vote = %v µs, want 20", got)
	}
	rep.Ingest.AcceptedPerS = 0
	if got := replay.IngestCPUPerVote(rep); got != nil {
		t.Errorf("with no votes per second: %v, want nil", got)
	}
	rep = reportWith(replay.Topology{}, nil, nil)
	if got := replay.IngestCPUPerVote(rep); got != nil {
		t.Errorf("with no CPU figures: %v, want nil", got)
	}
}

func TestTopology(t *testing.T) {
	tests := []struct {
		topo   replay.Topology
		single bool
		valid  bool
		words  string
	}{
		{replay.Topology{}, true, true, "1 prizes serve node, the flusher inside prizes serve, one Redis"},
		{replay.Topology{APINodes: 1}, true, true, "1 prizes serve node, the flusher inside prizes serve, one Redis"},
		{replay.Topology{Flushers: 1}, false, true, "1 prizes serve node, 1 prizes flush process and none inside prizes serve, one Redis"},
		{replay.Topology{RedisMasters: 3, APINodes: 2}, false, true, "2 prizes serve nodes, the flusher inside prizes serve, a 3-master Redis Cluster"},
		{replay.Topology{APINodes: -1}, false, false, ""},
	}
	for _, tt := range tests {
		if err := tt.topo.Validate(); (err == nil) != tt.valid {
			t.Errorf("%+v: Validate() = %v, want valid %v", tt.topo, err, tt.valid)
		}
		if !tt.valid {
			continue
		}
		if got := tt.topo.Single(); got != tt.single {
			t.Errorf("%+v: Single() = %v, want %v", tt.topo, got, tt.single)
		}
		if got := tt.topo.String(); got != tt.words {
			t.Errorf("%+v: String() = %q, want %q", tt.topo, got, tt.words)
		}
	}
}

func markdown(tb testing.TB, rep *replay.Report) string {
	tb.Helper()
	md, err := replay.Markdown(rep)
	if err != nil {
		tb.Fatal(err)
	}
	return md
}
