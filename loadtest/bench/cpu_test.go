package bench_test

import (
	"math"
	"testing"

	"github.com/wsisvote/prizes/loadtest/bench"
)

// TestCPUBudget: the budget is worked out from the closed-loop runs only,
// as means over the runs of each kind.
func TestCPUBudget(t *testing.T) {
	rep := &bench.Report{Runs: []bench.RunReport{
		// The baseline: 40,000 votes/s, the handler on 1 core: 25 µs a vote.
		{Name: "a1", Target: "baseline", Mode: "closed", AcceptedPerS: 40000,
			CPU: map[string]float64{"machine": 1.8, "baseline": 1, "loadgen": 0.6}},
		{Name: "a2", Target: "baseline", Mode: "closed", AcceptedPerS: 40000,
			CPU: map[string]float64{"machine": 1.8, "baseline": 1, "loadgen": 0.6}},
		// The vote path: 20,000 votes/s on 2 cores, serve on 1: 50 µs a
		// vote for serve and 50 for the rest.
		{Name: "b1", Target: "vote path", Mode: "closed", AcceptedPerS: 20000,
			CPU: map[string]float64{"machine": 2, "prizes serve": 1, "redis": 0.5}},
		// Neither an open loop nor an ingest-only run counts.
		{Name: "open", Target: "vote path", Mode: "open", AcceptedPerS: 5000,
			CPU: map[string]float64{"machine": 1, "prizes serve": 0.9}},
		{Name: "i1", Target: "ingest only", Mode: "closed", AcceptedPerS: 30000,
			CPU: map[string]float64{"machine": 2, "prizes serve": 1.5}},
	}}
	got, ok := bench.CPUBudget(rep)
	if !ok {
		t.Fatal("no budget")
	}
	// 0.6 × 40,000 = 24,000 votes/s on 2 cores: 83.3 µs a vote, 50 of them
	// taken by the rest. A serve of 25 µs: 2 cores / 75 µs = 26,667 votes/s.
	want := bench.Budget{Handler: 25, Serve: 50, Rest: 50, Allowed: 2e6/24000 - 50, Ceiling: 2e6 / 75 / 40000}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"handler", got.Handler, want.Handler}, {"serve", got.Serve, want.Serve}, {"rest", got.Rest, want.Rest},
		{"allowed", got.Allowed, want.Allowed}, {"ceiling", got.Ceiling, want.Ceiling},
	} {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if _, ok := bench.CPUBudget(&bench.Report{Runs: rep.Runs[2:]}); ok {
		t.Error("a budget without baseline runs")
	}
}
