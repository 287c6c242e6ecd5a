package naive_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/naive"
	"github.com/wsisvote/prizes/loadtest/stack"
)

func TestMarkdown_flush(t *testing.T) {
	rep := &naive.CompareReport{Flush: naive.Flush{
		VotesPerRound: 100_000, SteadyPerS: 80_000, WallPerS: 60_000, CopyPerS: 140_000,
		FirstBatch: 120 * time.Millisecond, FlushOverCopy: 0.57, WallOverCopy: 0.43,
		Rounds: []naive.FlushRound{{Votes: 100_000, Batches: 50, SteadyPerS: 80_000, WallPerS: 60_000, CopyPerS: 140_000,
			Steady: 1225 * time.Millisecond, Wall: 1667 * time.Millisecond, FirstBatch: 120 * time.Millisecond,
			SteadyOverCopy: 0.57, WallOverCopy: 0.43, FlusherCPU: 3.1, RedisCPU: 2.7, PostgresCPU: 6.2}},
	}}
	got := markdown(t, rep)
	for _, want := range []string{
		"| flusher / raw COPY, steady state (median of rounds) | **0.57** | ≥ 0.5 ✅ |",
		"| flusher / raw COPY, process start included (median of rounds) | 0.43 | |",
		"| the same, process start included: start until the log is empty, median | 60,000 votes/s (first batch 120ms after start) | |",
		"| 1 | 100,000 | 50 | 80,000 votes/s (1.225s) | 60,000 votes/s (1.667s) | 120ms | 140,000 rows/s",
		"| 3.1, 2.7, 6.2 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("section lacks %q:\n%s", want, got)
		}
	}

	rep.Flush.FlushOverCopy = 0.45
	if got := markdown(t, rep); !strings.Contains(got, "| **0.45** | ≥ 0.5 ❌ |") {
		t.Errorf("a ratio under the target is not marked as missed:\n%s", got)
	}
	if got := markdown(t, &naive.CompareReport{}); !strings.Contains(got, "| flusher / raw COPY | not measured |") {
		t.Errorf("a report without flush rounds:\n%s", got)
	}

	dir := t.TempDir()
	md, js := filepath.Join(dir, "b.md"), filepath.Join(dir, "naive.json")
	if err := naive.WriteFiles(rep, md, js, "naive.json"); err != nil {
		t.Fatal(err)
	}
	back, err := naive.ReadReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Flush, rep.Flush) {
		t.Errorf("flush figures after a JSON round trip:\n%+v\nwant\n%+v", back.Flush, rep.Flush)
	}
}

func TestMarkdown_runCPU(t *testing.T) {
	rep := &naive.CompareReport{Machine: stack.Machine{CPUs: 2}, Rounds: []naive.Round{{
		VotePath: 30_000, Naive: 10_000,
		VotePathCPU: naive.RunCPU{Server: 31.5, Redis: 8.25, Postgres: 4.5, Generator: 9, Machine: 64, BusyCores: 1.92},
		NaiveCPU:    naive.RunCPU{Server: 40, Postgres: 95.5, Generator: 10, Machine: 170, BusyCores: 1.7},
	}}}
	got := markdown(t, rep)
	for _, want := range []string{
		"the machine kept busy, of 2.",
		"| 1 | 31.5, 8.2, 4.5, 9.0, 64.0 | 1.92 | 40.0, 0.0, 95.5, 10.0, 170.0 | 1.70 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("section lacks %q:\n%s", want, got)
		}
	}
	rep.Rounds[0].VotePathCPU, rep.Rounds[0].NaiveCPU = naive.RunCPU{}, naive.RunCPU{}
	if got := markdown(t, rep); strings.Contains(got, "CPU per accepted vote") {
		t.Errorf("a report without CPU figures has a CPU table:\n%s", got)
	}
}

func markdown(tb testing.TB, rep *naive.CompareReport) string {
	tb.Helper()
	md, err := naive.Markdown(rep, "naive.json")
	if err != nil {
		tb.Fatal(err)
	}
	return md
}
