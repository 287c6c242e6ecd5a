package loadtest

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram counts durations with HdrHistogram: two significant figures
// (a value is known to within 1% of itself) from a nanosecond to
// maxDuration, in fixed memory (about 36 KB), recorded in constant time;
// histograms from many workers merge by adding counts. The zero value is
// empty and ready to use; it is not safe for concurrent use, so each worker
// keeps its own and they are merged afterwards. Minimum and maximum are
// kept exactly.
type Histogram struct {
	h        *hdrhistogram.Histogram
	min, max int64
}

// maxDuration is the largest duration a Histogram keeps apart, about 18
// minutes; larger ones count as it in the quantiles.
const maxDuration = 1<<40 - 1

func (h *Histogram) init() {
	if h.h == nil {
		h.h = hdrhistogram.New(1, maxDuration, 2)
	}
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	h.init()
	v := max(int64(d), 0)
	if h.h.TotalCount() == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	// The value is put in range, out of which is RecordValue's only error.
	_ = h.h.RecordValue(min(max(v, 1), maxDuration))
}

// Merge adds every count of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.Count() == 0 {
		return
	}
	h.init()
	if h.Count() == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.h.Merge(o.h)
}

// Count returns the number of recorded durations.
func (h *Histogram) Count() uint64 {
	if h.h == nil {
		return 0
	}
	return uint64(h.h.TotalCount())
}

// Min returns the smallest recorded duration, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest recorded duration, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the average recorded duration, to within the histogram's
// precision.
func (h *Histogram) Mean() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Mean())
}

// Quantile returns the duration below or at which a fraction q of the
// recorded durations lie, to within the histogram's precision, and exactly
// at the extremes. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	if q >= 1 {
		return time.Duration(h.max)
	}
	v := h.h.ValueAtQuantile(100 * q)
	return time.Duration(min(max(v, h.min), h.max))
}

// Summary is a histogram reduced to the figures a report shows.
type Summary struct {
	Count uint64        `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summary returns the usual percentiles of h.
func (h *Histogram) Summary() Summary {
	return Summary{
		Count: h.Count(), Min: h.Min(), Mean: h.Mean(),
		P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), P999: h.Quantile(0.999),
		Max: h.Max(),
	}
}

// String formats the summary on one line.
func (s Summary) String() string {
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s",
		FormatDuration(s.P50), FormatDuration(s.P90), FormatDuration(s.P99), FormatDuration(s.P999), FormatDuration(s.Max))
}

// FormatDuration prints d with three significant figures in the unit that
// suits it, as latency tables do.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3g ms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.3g µs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%d ns", int64(d))
	}
}
