package loadtest_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest"
)

// precision is the relative error a Histogram promises for a quantile: one
// part in 2^7 of the true value (the midpoint is within half of that).
const precision = 1.0 / 128

// exactQuantile is the reference: the value of rank ceil(q*n) in sorted
// order.
func exactQuantile(tb testing.TB, sorted []time.Duration, q float64) time.Duration {
	tb.Helper()
	rank := int(float64(len(sorted))*q + 0.9999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func within(got, want time.Duration) bool {
	diff := float64(got - want)
	if diff < 0 {
		diff = -diff
	}
	return diff <= float64(want)*precision+1
}

func TestHistogram_Quantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		gen  func() time.Duration
	}{
		{"exponential around 1ms", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(time.Millisecond)) }},
		{"uniform 0 to 200ns, the exact range", func() time.Duration { return time.Duration(rng.IntN(200)) }},
		{"log-uniform 1µs to 10s", func() time.Duration {
			return time.Duration(float64(time.Microsecond) * math.Pow(10, rng.Float64()*7))
		}},
		{"bimodal with a slow tail", func() time.Duration {
			if rng.IntN(1000) == 0 {
				return 2*time.Second + time.Duration(rng.IntN(int(time.Second)))
			}
			return 300*time.Microsecond + time.Duration(rng.IntN(100_000))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h loadtest.Histogram
			values := make([]time.Duration, 200_000)
			for i := range values {
				values[i] = tc.gen()
				h.Record(values[i])
			}
			slices.Sort(values)
			if got := h.Count(); got != uint64(len(values)) {
				t.Fatalf("Count = %d, want %d", got, len(values))
			}
			if h.Min() != values[0] || h.Max() != values[len(values)-1] {
				t.Errorf("Min, Max = %v, %v; want %v, %v", h.Min(), h.Max(), values[0], values[len(values)-1])
			}
			for _, q := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
				want := exactQuantile(t, values, q)
				if got := h.Quantile(q); !within(got, want) {
					t.Errorf("Quantile(%v) = %v, want %v within %.2f%%", q, got, want, precision*100)
				}
			}
		})
	}
}

func TestHistogram_Merge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var all loadtest.Histogram
	parts := make([]loadtest.Histogram, 8)
	var values []time.Duration
	for i := range 80_000 {
		v := time.Duration(rng.ExpFloat64() * float64(5*time.Millisecond))
		values = append(values, v)
		parts[i%len(parts)].Record(v)
		all.Record(v)
	}
	var merged loadtest.Histogram
	for i := range parts {
		merged.Merge(&parts[i])
	}
	slices.Sort(values)
	if merged.Count() != all.Count() || merged.Min() != all.Min() || merged.Max() != all.Max() {
		t.Fatalf("merged count/min/max = %d/%v/%v, want %d/%v/%v",
			merged.Count(), merged.Min(), merged.Max(), all.Count(), all.Min(), all.Max())
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		if got, want := merged.Quantile(q), all.Quantile(q); got != want {
			t.Errorf("merged Quantile(%v) = %v, one histogram says %v", q, got, want)
		}
		if got, want := merged.Quantile(q), exactQuantile(t, values, q); !within(got, want) {
			t.Errorf("merged Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestHistogram_Extremes(t *testing.T) {
	var h loadtest.Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 {
		t.Fatalf("empty histogram: Quantile(0.5) = %v, Mean = %v; want 0, 0", h.Quantile(0.5), h.Mean())
	}
	h.Record(-time.Second)
	h.Record(time.Hour)
	if h.Min() != 0 {
		t.Errorf("negative duration recorded as %v, want 0", h.Min())
	}
	if h.Max() != time.Hour {
		t.Errorf("Max = %v, want 1h: the maximum is kept exactly even beyond the buckets", h.Max())
	}
	if got := h.Quantile(1); got != time.Hour {
		t.Errorf("Quantile(1) = %v, want the maximum", got)
	}
}
