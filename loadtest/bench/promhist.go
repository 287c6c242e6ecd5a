package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// FlushLagMetric is the histogram prizes serve keeps of the time from a
// vote's acceptance to its commit in the ledger.
const FlushLagMetric = "prizes_flush_lag_seconds"

// PromHistogram is one Prometheus histogram as the text exposition format
// gives it: cumulative counts by upper bound, the last bound +Inf. Series of
// the same name with different labels are added together.
type PromHistogram struct {
	Bounds []float64 `json:"bounds"`
	Counts []float64 `json:"counts"`
}

// ParsePromHistogram returns the histogram name from a text exposition. A
// metric that is missing, or is not a histogram, is an error, so that a
// renamed metric is noticed rather than reported as zero.
func ParsePromHistogram(text []byte, name string) (PromHistogram, error) {
	fams, err := stack.ParseMetrics(text)
	if err != nil {
		return PromHistogram{}, fmt.Errorf("parse %s: %w", name, err)
	}
	fam, ok := fams[name]
	if !ok || len(fam.GetMetric()) == 0 {
		return PromHistogram{}, fmt.Errorf("parse %s: not in the exposition", name)
	}
	byBound := map[float64]float64{}
	for _, m := range fam.GetMetric() {
		hist := m.GetHistogram()
		if hist == nil {
			return PromHistogram{}, fmt.Errorf("parse %s: not a histogram", name)
		}
		inf := false
		for _, b := range hist.GetBucket() {
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			inf = inf || math.IsInf(b.GetUpperBound(), 1)
		}
		if !inf {
			return PromHistogram{}, fmt.Errorf("parse %s: no +Inf bucket", name)
		}
	}
	h := PromHistogram{}
	for b := range byBound {
		h.Bounds = append(h.Bounds, b)
	}
	sort.Float64s(h.Bounds)
	for _, b := range h.Bounds {
		h.Counts = append(h.Counts, byBound[b])
	}
	return h, nil
}

// Total is the number of observations.
func (h PromHistogram) Total() float64 {
	if len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Sub returns what was observed after earlier, a scrape of the same
// histogram taken before h. Buckets missing from earlier count as zero.
func (h PromHistogram) Sub(earlier PromHistogram) PromHistogram {
	out := PromHistogram{Bounds: append([]float64(nil), h.Bounds...), Counts: make([]float64, len(h.Counts))}
	for i, b := range h.Bounds {
		out.Counts[i] = h.Counts[i]
		if j := sort.SearchFloat64s(earlier.Bounds, b); j < len(earlier.Bounds) && earlier.Bounds[j] == b {
			out.Counts[i] -= earlier.Counts[j]
		}
	}
	return out
}

// Add returns the observations of h and o together; both must have the
// same bounds, or o is ignored when h is empty.
func (h PromHistogram) Add(o PromHistogram) PromHistogram {
	if len(h.Bounds) == 0 {
		return PromHistogram{Bounds: append([]float64(nil), o.Bounds...), Counts: append([]float64(nil), o.Counts...)}
	}
	out := PromHistogram{Bounds: append([]float64(nil), h.Bounds...), Counts: append([]float64(nil), h.Counts...)}
	for i, b := range o.Bounds {
		if j := sort.SearchFloat64s(out.Bounds, b); j < len(out.Bounds) && out.Bounds[j] == b {
			out.Counts[j] += o.Counts[i]
		}
	}
	return out
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) the way Prometheus's
// histogram_quantile does: it finds the bucket holding the rank and
// interpolates linearly between its bounds, the first bucket starting at
// zero. A rank in the +Inf bucket returns the largest finite bound, the
// most the histogram can tell. It returns NaN without observations.
func (h PromHistogram) Quantile(q float64) float64 {
	total := h.Total()
	if total <= 0 || q < 0 || q > 1 {
		return math.NaN()
	}
	rank := q * total
	for i, c := range h.Counts {
		if c < rank || c == 0 {
			continue
		}
		upper := h.Bounds[i]
		if math.IsInf(upper, 1) {
			if i == 0 {
				return math.NaN()
			}
			return h.Bounds[i-1]
		}
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = h.Bounds[i-1], h.Counts[i-1]
		}
		if upper <= 0 && i == 0 {
			return upper
		}
		return lower + (upper-lower)*(rank-below)/(c-below)
	}
	return h.Bounds[len(h.Bounds)-1]
}

// Lag is a latency distribution read from a Prometheus histogram.
type Lag struct {
	// Votes is how many observations the figures come from.
	Votes int64   `json:"votes"`
	P50   float64 `json:"p50_seconds"`
	P99   float64 `json:"p99_seconds"`
	// Buckets are the cumulative counts the quantiles were computed from.
	Buckets []Bucket `json:"buckets,omitempty"`
}

// Bucket is one cumulative bucket of a histogram. The bound is a string,
// as in the exposition format, because JSON has no infinity.
type Bucket struct {
	LE    string `json:"le"`
	Count int64  `json:"count"`
}

// lagOf summarizes h; quantiles of an empty histogram are zero, since JSON
// has no NaN.
func lagOf(h PromHistogram) *Lag {
	l := &Lag{Votes: int64(h.Total())}
	if l.Votes > 0 {
		l.P50, l.P99 = h.Quantile(0.5), h.Quantile(0.99)
	}
	for i, b := range h.Bounds {
		l.Buckets = append(l.Buckets, Bucket{LE: strconv.FormatFloat(b, 'g', -1, 64), Count: int64(h.Counts[i])})
	}
	return l
}

// scrapeHistogram fetches a /metrics page and returns the histogram name.
func scrapeHistogram(ctx context.Context, url, name string) (PromHistogram, error) {
	b, err := stack.Scrape(ctx, url)
	if err != nil {
		return PromHistogram{}, err
	}
	return ParsePromHistogram(b, name)
}
