package bench_test

import (
	"math"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest/bench"
)

// exposition is a hand-made scrape: 100 observations, 10 up to 0.1 s, 50
// more up to 0.25 s, 30 more up to 0.5 s, 9 more up to 1 s and 1 above 5 s.
const exposition = `# HELP prizes_flush_lag_seconds Time from a vote's acceptance to its commit in the ledger.
# TYPE prizes_flush_lag_seconds histogram
prizes_flush_lag_seconds_bucket{le="0.1"} 10
prizes_flush_lag_seconds_bucket{le="0.25"} 60
prizes_flush_lag_seconds_bucket{le="0.5"} 90
prizes_flush_lag_seconds_bucket{le="1"} 99
prizes_flush_lag_seconds_bucket{le="5"} 99
prizes_flush_lag_seconds_bucket{le="+Inf"} 100
prizes_flush_lag_seconds_sum 42.5
prizes_flush_lag_seconds_count 100
# HELP prizes_flush_batch_size Votes per batch committed to the ledger.
# TYPE prizes_flush_batch_size histogram
prizes_flush_batch_size_bucket{le="1"} 7
prizes_flush_batch_size_bucket{le="+Inf"} 7
`

func parse(tb testing.TB, text string) bench.PromHistogram {
	tb.Helper()
	h, err := bench.ParsePromHistogram([]byte(text), bench.FlushLagMetric)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestPromHistogram_Quantile(t *testing.T) {
	h := parse(t, exposition)
	if h.Total() != 100 {
		t.Fatalf("total %v, want 100", h.Total())
	}
	for _, tc := range []struct {
		q, want float64
	}{
		{0.05, 0.05},  // rank 5 of 10 in [0, 0.1]
		{0.5, 0.22},   // rank 50: 40 of 50 into [0.1, 0.25]
		{0.6, 0.25},   // rank 60: the top of its bucket
		{0.75, 0.375}, // rank 75: 15 of 30 into [0.25, 0.5]
		{0.99, 1},     // rank 99: the top of [0.5, 1]
		{0.995, 5},    // rank 99.5 is in +Inf: the largest finite bound
		{0.945, 0.75}, // rank 94.5: 4.5 of 9 into [0.5, 1]
	} {
		if got := h.Quantile(tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestPromHistogram_Sub(t *testing.T) {
	before := parse(t, exposition)
	// After: 100 more observations, all between 0.5 s and 1 s.
	after := parse(t, strings.NewReplacer(
		`le="0.5"} 90`, `le="0.5"} 90`,
		`le="1"} 99`, `le="1"} 199`,
		`le="5"} 99`, `le="5"} 199`,
		`le="+Inf"} 100`, `le="+Inf"} 200`,
	).Replace(exposition))
	d := after.Sub(before)
	if d.Total() != 100 {
		t.Fatalf("difference has %v observations, want 100", d.Total())
	}
	// Every new observation is in [0.5, 1]: the median is halfway.
	if got := d.Quantile(0.5); math.Abs(got-0.75) > 1e-9 {
		t.Errorf("median of the difference = %v, want 0.75", got)
	}
	if got := d.Quantile(0.99); math.Abs(got-0.995) > 1e-9 {
		t.Errorf("p99 of the difference = %v, want 0.995", got)
	}
	if got := before.Add(d).Total(); got != 200 {
		t.Errorf("before + difference has %v observations, want 200", got)
	}
}

// typeLine declares the flush lag a histogram, as every exposition does.
const typeLine = "# TYPE prizes_flush_lag_seconds histogram\n"

func TestParsePromHistogram_errors(t *testing.T) {
	for name, text := range map[string]string{
		"missing metric":  "other_bucket{le=\"+Inf\"} 1\n",
		"not a histogram": "prizes_flush_lag_seconds_bucket{le=\"+Inf\"} 1\n",
		"no +Inf bucket":  typeLine + "prizes_flush_lag_seconds_bucket{le=\"1\"} 1\n",
		"bad value":       typeLine + "prizes_flush_lag_seconds_bucket{le=\"+Inf\"} x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := bench.ParsePromHistogram([]byte(text), bench.FlushLagMetric); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestParsePromHistogram_labels(t *testing.T) {
	// Series with other labels are added together.
	h := parse(t, typeLine+`prizes_flush_lag_seconds_bucket{shard="a",le="1"} 3
prizes_flush_lag_seconds_bucket{shard="a",le="+Inf"} 4
prizes_flush_lag_seconds_bucket{shard="b\"x",le="1"} 1
prizes_flush_lag_seconds_bucket{shard="b\"x",le="+Inf"} 1
`)
	if h.Total() != 5 || h.Counts[0] != 4 {
		t.Errorf("got counts %v, want [4 5]", h.Counts)
	}
}
