// Package prometheus exports the vote path's metrics to Prometheus. Metrics
// satisfies the api package's Observer by its method set, without importing
// it, and voting.FlushObserver.
package prometheus

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wsisvote/prizes/voting"
)

var _ voting.FlushObserver = (*Metrics)(nil)

// Metrics holds the service's collectors. Its methods are safe for
// concurrent use and cheap enough for the request path.
type Metrics struct {
	votes       *prometheus.CounterVec
	accepted    prometheus.Counter
	requests    *prometheus.HistogramVec
	batchSize   prometheus.Histogram
	flushLag    prometheus.Histogram
	inserted    prometheus.Counter
	storeErrors *prometheus.CounterVec
	pending     prometheus.Gauge
	unread      prometheus.Gauge
	refused     *prometheus.CounterVec
	mail        mailMetrics
	replicated  prometheus.Histogram
	unrepl      prometheus.Counter

	// requestSeries and voteSeries remember the series of each label set
	// once it is first used: requestSeries maps a requestKey to its
	// prometheus.Observer, voteSeries a result code to its
	// prometheus.Counter. Looking a series up by its label values hashes
	// and validates them, and formats the status code, on every request;
	// a cached series is the same series, since none is ever deleted. Both
	// hold one entry per series, so they are bounded as the series are.
	requestSeries sync.Map
	voteSeries    sync.Map
}

// requestKey is the label set of one request duration series.
type requestKey struct {
	route  string
	status int
}

// NewRegistry returns the registry a prizes process exports: the Go
// runtime's and the process's collectors, and the vote path's Metrics,
// registered in it. The dashboard in deploy/grafana is checked against it.
func NewRegistry() (*prometheus.Registry, *Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, New(reg)
}

// New builds the collectors and registers them with reg; a nil reg leaves
// them unregistered. Registering twice with one registry panics, as for any
// duplicate Prometheus collector.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prizes_votes_total",
			Help: "Vote requests by result: accepted or the error code answered.",
		}, []string{"result"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "prizes_http_request_duration_seconds",
			Help: "HTTP request duration by route template and status code.",
			// The vote path answers in well under a millisecond when healthy,
			// so the buckets start fine and stretch to timeouts.
			Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "code"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "prizes_flush_batch_size",
			Help:    "Votes per batch committed to the ledger.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13), // 1 to 4096
		}),
		flushLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "prizes_flush_lag_seconds",
			Help:    "Time from a vote's acceptance to its commit in the ledger.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		inserted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prizes_flush_inserted_total",
			Help: "Votes newly inserted into the ledger (re-deliveries are not counted).",
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prizes_store_errors_total",
			Help: "Errors from backing stores by store and operation.",
		}, []string{"store", "op"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prizes_stream_pending_entries",
			Help: "Vote log entries (each holding one or more votes) read by a flusher but not yet acknowledged.",
		}),
		unread: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prizes_stream_unread_entries",
			Help: "Vote log entries (each holding one or more votes) no flusher has read yet.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prizes_connections_refused_total",
			Help: "Connections answered 503 too_many_connections and closed, by the cap that refused them: overall or address.",
		}, []string{"cap"}),
		replicated: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "prizes_redis_replicated_pipeline_seconds",
			Help:    "Round trip of one master's part of a vote pipeline sent with --ack-replicas: its script calls and the WAIT for replicas after them.",
			Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		unrepl: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prizes_redis_unreplicated_pipelines_total",
			Help: "Parts of vote pipelines whose writes fewer replicas than --ack-replicas acknowledged within --ack-timeout; the votes they recorded were answered 503 outcome_unknown.",
		}),
	}
	// The accepted series is resolved once, since it is the one the vote
	// path touches on nearly every request.
	m.accepted = m.votes.WithLabelValues("accepted")
	m.mail = newMailMetrics()
	if reg != nil {
		reg.MustRegister(m.votes, m.requests, m.batchSize, m.flushLag, m.inserted, m.storeErrors, m.pending, m.unread, m.refused,
			m.replicated, m.unrepl)
		m.mail.register(reg)
	}
	return m
}

// VoteResult counts one vote request by its result: "accepted" or an error code.
func (m *Metrics) VoteResult(code string) {
	if code == "accepted" {
		m.accepted.Inc()
		return
	}
	if c, ok := m.voteSeries.Load(code); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c, _ := m.voteSeries.LoadOrStore(code, m.votes.WithLabelValues(code))
	c.(prometheus.Counter).Inc()
}

// ObserveRequest records one HTTP request's duration by route template and status.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	k := requestKey{route: route, status: status}
	if o, ok := m.requestSeries.Load(k); ok {
		o.(prometheus.Observer).Observe(d.Seconds())
		return
	}
	o, _ := m.requestSeries.LoadOrStore(k, m.requests.WithLabelValues(route, strconv.Itoa(status)))
	o.(prometheus.Observer).Observe(d.Seconds())
}

// Flushed implements voting.FlushObserver.
func (m *Metrics) Flushed(size, inserted int, lags []time.Duration) {
	m.batchSize.Observe(float64(size))
	m.inserted.Add(float64(inserted))
	for _, l := range lags {
		m.flushLag.Observe(l.Seconds())
	}
}

// FlushError implements voting.FlushObserver; it counts as a store error of
// the store "flush" with the failed step as the operation.
func (m *Metrics) FlushError(step string, err error) {
	m.StoreError("flush", step)
}

// StoreError counts one error of a backing store ("redis", "postgres", ...)
// in an operation.
func (m *Metrics) StoreError(store, op string) {
	m.storeErrors.WithLabelValues(store, op).Inc()
}

// SetBacklog reports the vote log's backlog: entries pending with flushers
// and entries not yet read.
func (m *Metrics) SetBacklog(pending, unread int64) {
	m.pending.Set(float64(pending))
	m.unread.Set(float64(unread))
}

// ConnectionRefused counts one connection refused by a connection cap
// ("overall" or "address").
func (m *Metrics) ConnectionRefused(cap string) {
	m.refused.WithLabelValues(cap).Inc()
}

// Replicated implements the Redis vote store's Observer: one master's part
// of a pipeline that waited for replicas, how long it took and whether
// enough replicas acknowledged it.
func (m *Metrics) Replicated(d time.Duration, ok bool) {
	m.replicated.Observe(d.Seconds())
	if !ok {
		m.unrepl.Inc()
	}
}
