package prometheus_test

import (
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
	metrics "github.com/wsisvote/prizes/voting/prometheus"
)

// The API and the flusher take Metrics as their observers.
var (
	_ api.Observer         = (*metrics.Metrics)(nil)
	_ voting.FlushObserver = (*metrics.Metrics)(nil)
)

// sample is one series read back from a registry: a counter's or gauge's
// value, or a histogram's sample count and sum.
type sample struct {
	value float64
	count uint64
	sum   float64
}

// read gathers reg and returns the series of family name with exactly labels.
func read(tb testing.TB, reg *prometheus.Registry, name string, labels map[string]string) sample {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return sample{value: m.GetCounter().GetValue()}
			case m.GetGauge() != nil:
				return sample{value: m.GetGauge().GetValue()}
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				return sample{count: h.GetSampleCount(), sum: h.GetSampleSum()}
			}
		}
	}
	tb.Fatalf("no series %s%v", name, labels)
	return sample{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestNew_RegistersEveryFamily(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	// Vector families only appear once they have a series.
	m.VoteResult("accepted")
	m.ObserveRequest("/healthz", 200, time.Millisecond)
	m.StoreError("redis", "append")
	m.ConnectionRefused("address")

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
	}
	want := []string{
		"prizes_connections_refused_total",
		"prizes_flush_batch_size",
		"prizes_flush_inserted_total",
		"prizes_flush_lag_seconds",
		"prizes_http_request_duration_seconds",
		"prizes_outbox_oldest_pending_seconds",
		"prizes_outbox_pending_messages",
		"prizes_redis_replicated_pipeline_seconds",
		"prizes_redis_unreplicated_pipelines_total",
		"prizes_store_errors_total",
		"prizes_stream_pending_entries",
		"prizes_stream_unread_entries",
		"prizes_votes_total",
	}
	sort.Strings(got)
	if len(got) != len(want) {
		t.Fatalf("families = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("families = %v, want %v", got, want)
			break
		}
	}
	for _, mf := range mfs {
		if mf.GetHelp() == "" {
			t.Errorf("%s has no help text", mf.GetName())
		}
	}
}

func TestMetrics_VoteResult(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.VoteResult("accepted")
			}
			m.VoteResult("duplicate_vote")
		})
	}
	wg.Wait()
	m.VoteResult("unavailable")

	for result, want := range map[string]float64{"accepted": 800, "duplicate_vote": 8, "unavailable": 1} {
		if got := read(t, reg, "prizes_votes_total", map[string]string{"result": result}).value; got != want {
			t.Errorf("votes{result=%q} = %v, want %v", result, got, want)
		}
	}
}

func TestMetrics_ObserveRequest(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	route := "/api/v1/editions/:edition/votes"
	other := "/api/v1/editions/:edition/tally"
	m.ObserveRequest(route, 202, 100*time.Millisecond)
	m.ObserveRequest(route, 202, 200*time.Millisecond)
	m.ObserveRequest(route, 409, time.Millisecond)
	m.ObserveRequest(other, 202, 50*time.Millisecond)

	tests := []struct {
		route, code string
		count       uint64
		sum         float64
	}{
		{route, "202", 2, 0.3},
		{route, "409", 1, 0.001},
		{other, "202", 1, 0.05},
	}
	for _, tt := range tests {
		s := read(t, reg, "prizes_http_request_duration_seconds", map[string]string{"route": tt.route, "code": tt.code})
		if s.count != tt.count || !near(s.sum, tt.sum) {
			t.Errorf("%s %s series: count %d sum %v, want %d and %v", tt.route, tt.code, s.count, s.sum, tt.count, tt.sum)
		}
	}
}

// TestMetrics_ObserveRequest_Concurrent checks that concurrent first uses
// of a series, which race to remember it, all land in that one series.
func TestMetrics_ObserveRequest_Concurrent(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 100 {
				m.ObserveRequest("/healthz", 200+i%2, time.Millisecond)
			}
		})
	}
	wg.Wait()
	for _, code := range []string{"200", "201"} {
		if s := read(t, reg, "prizes_http_request_duration_seconds", map[string]string{"route": "/healthz", "code": code}); s.count != 400 {
			t.Errorf("code %s: count %d, want 400", code, s.count)
		}
	}
}

// BenchmarkMetrics_ObserveRequest measures what the vote path pays per
// request for metrics: one duration and one vote result.
func BenchmarkMetrics_ObserveRequest(b *testing.B) {
	m := metrics.New(prometheus.NewRegistry())
	route := "/api/v1/editions/:edition/votes"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest(route, 409, time.Millisecond)
			m.VoteResult("duplicate_vote")
		}
	})
}

func TestMetrics_Flushed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.Flushed(3, 2, []time.Duration{time.Second, 2 * time.Second, 500 * time.Millisecond})
	m.Flushed(1, 1, []time.Duration{time.Second})

	if s := read(t, reg, "prizes_flush_batch_size", nil); s.count != 2 || s.sum != 4 {
		t.Errorf("batch size: count %d sum %v, want 2 and 4", s.count, s.sum)
	}
	if got := read(t, reg, "prizes_flush_inserted_total", nil).value; got != 3 {
		t.Errorf("inserted = %v, want 3", got)
	}
	if s := read(t, reg, "prizes_flush_lag_seconds", nil); s.count != 4 || !near(s.sum, 4.5) {
		t.Errorf("lag: count %d sum %v, want 4 and 4.5", s.count, s.sum)
	}
}

func TestMetrics_StoreErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.FlushError("insert", errors.New("connection reset"))
	m.FlushError("insert", errors.New("connection reset"))
	m.FlushError("ack", errors.New("timeout"))
	m.StoreError("redis", "append")

	tests := []struct {
		store, op string
		want      float64
	}{
		{"flush", "insert", 2},
		{"flush", "ack", 1},
		{"redis", "append", 1},
	}
	for _, tt := range tests {
		if got := read(t, reg, "prizes_store_errors_total", map[string]string{"store": tt.store, "op": tt.op}).value; got != tt.want {
			t.Errorf("store_errors{store=%q,op=%q} = %v, want %v", tt.store, tt.op, got, tt.want)
		}
	}
}

func TestMetrics_SetBacklog(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetBacklog(5, 70)
	m.SetBacklog(2, 40)
	if got := read(t, reg, "prizes_stream_pending_entries", nil).value; got != 2 {
		t.Errorf("pending = %v, want 2", got)
	}
	if got := read(t, reg, "prizes_stream_unread_entries", nil).value; got != 40 {
		t.Errorf("unread = %v, want 40", got)
	}
}

func TestMetrics_ConnectionRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			m.ConnectionRefused("address")
			m.ConnectionRefused("address")
			m.ConnectionRefused("overall")
		})
	}
	wg.Wait()
	for c, want := range map[string]float64{"address": 8, "overall": 4} {
		if got := read(t, reg, "prizes_connections_refused_total", map[string]string{"cap": c}).value; got != want {
			t.Errorf("connections_refused{cap=%q} = %v, want %v", c, got, want)
		}
	}
}

// TestNew_NilRegistry checks that collectors built without a registry work
// and are not registered anywhere, the default registry included.
func TestNew_NilRegistry(t *testing.T) {
	m := metrics.New(nil)
	m.VoteResult("accepted")
	m.SetBacklog(1, 1)
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "prizes_") {
			t.Errorf("%s is in the default registry", mf.GetName())
		}
	}
}
