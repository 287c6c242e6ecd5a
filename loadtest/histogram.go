package loadtest

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// subBits sets the precision of a Histogram: every power of two is split into
// 2^subBits linear buckets, so a recorded value is known to within one part in
// 2^subBits of itself (a bucket's midpoint is within half that).
const subBits = 7

const (
	subBuckets = 1 << subBits
	// maxBits bounds the values a Histogram keeps apart to below 2^maxBits
	// nanoseconds, about 18 minutes; larger values count in its last bucket.
	maxBits    = 40
	maxValue   = 1<<maxBits - 1
	numBuckets = subBuckets * (maxBits - subBits + 1)
)

// Histogram counts durations in log-linear buckets: exact below 2^(subBits+1)
// nanoseconds, then with a relative error of at most 2^-subBits. It is what
// HdrHistogram does with fewer features: fixed memory, constant-time
// recording, and histograms from many workers merge by adding counts. The
// zero value is empty and ready to use; it is not safe for concurrent use,
// so each worker keeps its own and they are merged afterwards.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

// bucketOf returns the bucket that counts v nanoseconds.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v > maxValue {
		v = maxValue
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	if shift <= 0 {
		return int(v)
	}
	return subBuckets*shift + int(v>>shift)
}

// bucketRange returns the smallest value counted by bucket i and the
// bucket's width.
func bucketRange(i int) (low, width int64) {
	if i < 2*subBuckets {
		return int64(i), 1
	}
	shift := i/subBuckets - 1
	mantissa := int64(i - subBuckets*shift)
	return mantissa << shift, 1 << shift
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
}

// Merge adds every count of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest recorded duration, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest recorded duration, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the average recorded duration.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the duration below or at which a fraction q of the
// recorded durations lie: the value of rank ceil(q*n) in sorted order, to
// within the histogram's precision. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen < rank {
			continue
		}
		if i == numBuckets-1 {
			// The last bucket also holds every value beyond the range.
			return time.Duration(h.max)
		}
		low, width := bucketRange(i)
		// The midpoint halves the worst error; clamping to the exact extremes
		// makes the lowest and highest quantiles exact.
		v := low + width/2
		return time.Duration(min(max(v, h.min), h.max))
	}
	return time.Duration(h.max)
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
		Count: h.n, Min: h.Min(), Mean: h.Mean(),
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
