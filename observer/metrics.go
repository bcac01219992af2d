package observer

import "github.com/prometheus/client_golang/prometheus"

// Metrics is the observers' health, labelled by observer URL.
type Metrics struct {
	Queue     *prometheus.GaugeVec   // payloads in the outbox, not yet delivered
	Delivered *prometheus.CounterVec // payloads delivered (2xx)
	Retries   *prometheus.CounterVec // failed deliveries (each is retried)
	Dropped   *prometheus.CounterVec // payloads dropped, by reason: queue, outbox_full, write
	LastError *prometheus.GaugeVec   // unix time of the last failed delivery
}

// NewMetrics registers the observer metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := newMetrics()
	reg.MustRegister(m.Queue, m.Delivered, m.Retries, m.Dropped, m.LastError)
	return m
}

// NopMetrics records into metrics registered nowhere.
func NopMetrics() *Metrics { return newMetrics() }

func newMetrics() *Metrics {
	return &Metrics{
		Queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "observer_outbox_payloads",
			Help: "Payloads in an observer's outbox, not yet delivered."}, []string{"observer"}),
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "observer_delivered_total",
			Help: "Payloads delivered to an observer (2xx)."}, []string{"observer"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "observer_retries_total",
			Help: "Failed deliveries to an observer; each is retried with backoff."}, []string{"observer"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "observer_dropped_total",
			Help: "Payloads dropped: queue (node faster than the outbox), outbox_full (oldest dropped at the cap), write (disk error)."},
			[]string{"observer", "reason"}),
		LastError: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "observer_last_error_timestamp_seconds",
			Help: "Unix time of an observer's last failed delivery."}, []string{"observer"}),
	}
}
