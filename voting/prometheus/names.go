package prometheus

import (
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wsisvote/prizes/notify"
)

// SeriesNames returns the name of every series prizes exports (its own
// metrics and the Go and process collectors'), each histogram with its
// _bucket, _sum and _count, so that a dashboard or an alert rule can be
// checked against them. Every metric is touched once on a registry of its
// own, since a vector with no series is not gathered at all.
func SeriesNames() (map[string]bool, error) {
	reg, m := NewRegistry()
	m.VoteResult("accepted")
	m.ObserveRequest("/api/v1/editions/:edition/votes", 202, time.Millisecond)
	m.Flushed(1, 1, []time.Duration{time.Millisecond})
	m.StoreError("redis", "append")
	m.SetBacklog(0, 0)
	m.ConnectionRefused("overall")
	m.Delivered(notify.KindSubmitted, false)
	m.DeliveryFailed(notify.KindSubmitted)
	m.SetOutbox(0, 0)
	m.Replicated(time.Millisecond, false)
	families, err := reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("series names: %w", err)
	}
	out := map[string]bool{}
	for _, f := range families {
		n := f.GetName()
		out[n] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[n+"_bucket"], out[n+"_sum"], out[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			out[n+"_sum"], out[n+"_count"] = true, true
		}
	}
	return out, nil
}
