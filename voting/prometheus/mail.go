package prometheus

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsisvote/prizes/notify"
)

var _ notify.Observer = (*Metrics)(nil)

// mailMetrics are the outbox's: what it holds and what the workers did.
type mailMetrics struct {
	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	pending   prometheus.Gauge
	oldest    prometheus.Gauge
}

func newMailMetrics() mailMetrics {
	return mailMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prizes_mail_sent_total",
			Help: "Outbox messages settled by this node, by kind and outcome: sent, or skipped (the recipient's account was erased).",
		}, []string{"kind", "outcome"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prizes_mail_failed_total",
			Help: "Failed delivery attempts by this node, by kind; each is retried after its backoff.",
		}, []string{"kind"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prizes_outbox_pending_messages",
			Help: "Outbox messages not sent yet.",
		}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prizes_outbox_oldest_pending_seconds",
			Help: "Age of the oldest outbox message not sent yet (0 when none is pending).",
		}),
	}
}

func (m mailMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(m.delivered, m.failed, m.pending, m.oldest)
}

// Delivered implements notify.Observer.
func (m *Metrics) Delivered(k notify.Kind, skipped bool) {
	outcome := "sent"
	if skipped {
		outcome = "skipped"
	}
	m.mail.delivered.WithLabelValues(string(k), outcome).Inc()
}

// DeliveryFailed implements notify.Observer.
func (m *Metrics) DeliveryFailed(k notify.Kind) { m.mail.failed.WithLabelValues(string(k)).Inc() }

// SetOutbox sets the outbox gauges: messages pending and the age of the
// oldest of them.
func (m *Metrics) SetOutbox(pending int64, oldest time.Duration) {
	m.mail.pending.Set(float64(pending))
	m.mail.oldest.Set(oldest.Seconds())
}
