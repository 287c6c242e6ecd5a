package replay

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/scenario"
)

// Sample is one slice of the ingest: what was answered in it and how fast.
type Sample struct {
	// At is the end of the slice, in seconds from the start of the ingest.
	At              float64 `json:"at_s"`
	Seconds         float64 `json:"seconds"`
	Requests        int64   `json:"requests"`
	Accepted        int64   `json:"accepted"`
	TransportErrors int64   `json:"transport_errors"`
	// Scheduled is the open loop's request count for the slice.
	Scheduled    int64   `json:"scheduled,omitempty"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
}

// slice is how long each measured slice of the ingest lasts. The ingest is
// a sequence of runs of this length rather than one run, so that every
// slice has a histogram of its own for the plots; between slices the
// connections are opened again, which costs about a millisecond in a
// second.
const slice = time.Second

// ingest sends the whole workload to addrs, the connections spread over
// them, as the arrival says and returns everything answered, a sample per
// slice and the elapsed time.
func ingest(ctx context.Context, addrs []string, a scenario.Arrival, w loadtest.Workload, log io.Writer) (*loadtest.Stats, []Sample, time.Duration, error) {
	acc := loadtest.NewStats()
	var samples []Sample
	start := time.Now()
	one := func(o loadtest.Options, scheduled int64) (bool, error) {
		o.Addrs = addrs
		o.Workers = a.Workers
		res, err := loadtest.Run(ctx, o, w)
		if err != nil {
			return false, fmt.Errorf("ingest: %w", err)
		}
		acc.Merge(&res.Stats)
		lat := res.Latency.Summary()
		s := Sample{
			At: time.Since(start).Seconds(), Seconds: res.Elapsed.Seconds(), Requests: res.Answers() + res.TransportErrors,
			Accepted: res.AcceptedTotal(), TransportErrors: res.TransportErrors, Scheduled: scheduled,
			AcceptedPerS: res.AcceptedRate(), P50: ms(lat.P50), P90: ms(lat.P90), P99: ms(lat.P99), Max: ms(lat.Max),
		}
		samples = append(samples, s)
		if len(samples)%5 == 0 || res.Exhausted {
			fmt.Fprintf(log, "replay:   %4.0fs %7.0f votes/s  p50 %6.2f ms  p99 %7.2f ms  %9d answered\n",
				s.At, s.AcceptedPerS, s.P50, s.P99, acc.Answers())
		}
		return res.Exhausted, ctx.Err()
	}
	if a.Closed() {
		for {
			done, err := one(loadtest.Options{Duration: slice}, 0)
			if err != nil {
				return acc, samples, time.Since(start), err
			}
			if done {
				break
			}
		}
		return acc, samples, time.Since(start), nil
	}
	for _, n := range a.Schedule() {
		if n == 0 {
			time.Sleep(slice)
			continue
		}
		done, err := one(loadtest.Options{Rate: float64(n) / slice.Seconds(), Requests: n, Duration: slice}, n)
		if err != nil {
			return acc, samples, time.Since(start), err
		}
		if done {
			break
		}
	}
	return acc, samples, time.Since(start), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
