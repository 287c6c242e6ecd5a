package bench_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/bench"
	"github.com/wsisvote/prizes/loadtest/stack"
)

func report(tb testing.TB, ratio float64) *bench.Report {
	tb.Helper()
	open := bench.RunReport{Name: "open", Target: "vote path", Mode: "open", Rate: 4000, Workers: 256,
		Duration: 20 * time.Second, Latency: loadtest.Summary{P50: time.Millisecond, P99: 5 * time.Millisecond}}
	return &bench.Report{
		Date:    time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC),
		Command: "make bench",
		Runs: []bench.RunReport{
			{Name: "a1", Target: "baseline", Mode: "closed", AcceptedPerS: 10000, CPU: map[string]float64{"machine": 2}},
			{Name: "b1", Target: "vote path", Mode: "closed", AcceptedPerS: 10000 * ratio, CPU: map[string]float64{"machine": 2}},
			open,
		},
		Pairs:       []bench.Pair{{Baseline: 10000, VotePath: 10000 * ratio, Ratio: ratio}},
		MedianRatio: ratio,
		Open:        &open,
		Memory:      bench.Memory{Before: 1000, After: 3000, Delta: 2000, Votes: 1000, BytesPerVote: 2},
		Correctness: bench.Correctness{Accepted: 1000, LedgerTotal: 1000, OK: true},
	}
}

// readJSON reads back the JSON report WriteFiles wrote to path.
func readJSON(tb testing.TB, path string) *bench.Report {
	tb.Helper()
	rep, err := bench.ReadReport(path)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func TestWriteFiles_keepsProse(t *testing.T) {
	dir := t.TempDir()
	md, js := filepath.Join(dir, "benchmarks.md"), filepath.Join(dir, "benchmarks.json")
	if err := bench.WriteFiles(report(t, 0.7), md, js); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	// Prose around the generated section must survive the next run, which
	// replaces the section only.
	prose := "# Benchmarks\n\nHow to read this page.\n\n"
	after := "\n## Notes\n\nWritten by hand.\n"
	if err := os.WriteFile(md, []byte(prose+string(b[len("# Benchmarks\n\n"):])+after), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bench.WriteFiles(report(t, 0.9), md, js); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, prose) || !strings.HasSuffix(got, after) {
		t.Errorf("prose around the section was not kept:\n%s", got)
	}
	if strings.Count(got, "## Latest run") != 1 || !strings.Contains(got, "**0.90**") || strings.Contains(got, "**0.70**") {
		t.Errorf("the section was not replaced by the new run's:\n%s", got)
	}
	back := readJSON(t, js)
	if back.MedianRatio != 0.9 || back.Memory.BytesPerVote != 2 {
		t.Errorf("JSON report has ratio %v, bytes per vote %v; want 0.9, 2", back.MedianRatio, back.Memory.BytesPerVote)
	}
}

func TestReport_Markdown_serveRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		p99  float64
		want string
	}{
		{"within target", 0.4, "| 120 ms / **400 ms** | p99 < 1 s ✅ |"},
		{"over target", 2.5, "| 120 ms / **2.5 s** | p99 < 1 s ❌ |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := report(t, 0.7)
			r.FlushLag = &bench.Lag{Votes: 5000, P50: 0.12, P99: tc.p99, Buckets: []bench.Bucket{{LE: "1", Count: 4990}, {LE: "+Inf", Count: 5000}}}
			r.ServeMemory = &bench.ServeMemory{Peak: 150 << 20, End: 96 << 19, Interval: time.Second}
			// The bucket bounds include +Inf, which the JSON report must
			// still be able to hold.
			dir := t.TempDir()
			md, js := filepath.Join(dir, "benchmarks.md"), filepath.Join(dir, "benchmarks.json")
			if err := bench.WriteFiles(r, md, js); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(md)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if !strings.Contains(got, tc.want) {
				t.Errorf("flush lag row %q missing:\n%s", tc.want, got)
			}
			if !strings.Contains(got, "| 150.0 MiB / 48.0 MiB |") {
				t.Errorf("serve memory row missing:\n%s", got)
			}
			back := readJSON(t, js)
			if back.FlushLag == nil || back.FlushLag.P99 != tc.p99 || len(back.FlushLag.Buckets) != 2 || back.ServeMemory == nil || back.ServeMemory.Peak != 150<<20 {
				t.Errorf("JSON report lost the flush lag or the serve memory: %+v %+v", back.FlushLag, back.ServeMemory)
			}
		})
	}
}

// TestReport_Markdown_redisCommands: the Redis table adds up the command
// statistics of the runs that have them, per accepted vote, largest first.
func TestReport_Markdown_redisCommands(t *testing.T) {
	r := report(t, 0.7)
	for i := range r.Runs {
		if r.Runs[i].Name == "b1" {
			r.Runs[i].Accepted = 1000
			r.Runs[i].RedisCommands = map[string]stack.CommandStat{
				"evalsha": {Calls: 125, Usec: 5000}, "xack": {Calls: 50, Usec: 300}, "info": {Calls: 1, Usec: 2}}
		}
	}
	r.Runs = append(r.Runs, bench.RunReport{Name: "b2", Target: "vote path", Mode: "closed", Accepted: 3000,
		RedisCommands: map[string]stack.CommandStat{"evalsha": {Calls: 375, Usec: 11000}}})
	dir := t.TempDir()
	md := filepath.Join(dir, "benchmarks.md")
	if err := bench.WriteFiles(r, md, filepath.Join(dir, "benchmarks.json")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	// 16,000 µs over 4,000 votes; 300 µs over the same; INFO's 0.0005 µs
	// per vote is left out.
	want := "| evalsha | 0.125 | 4.00 |\n| xack | 0.013 | 0.07 |\n\n"
	if !strings.Contains(got, want) || strings.Contains(got, "| info |") {
		t.Errorf("Redis table is not\n%s\nin:\n%s", want, got)
	}
}
