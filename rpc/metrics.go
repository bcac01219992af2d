package rpc

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the API's Prometheus collectors; NopMetrics is never registered.
type Metrics struct {
	// Requests counts API calls by method and resulting code.
	Requests *prometheus.CounterVec
	// EventsRejected counts AddEvent calls refused, by error code.
	EventsRejected *prometheus.CounterVec
	// AddEventLatency is the time to ack an AddEvent (parse, check, durable write).
	AddEventLatency prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := NopMetrics()
	reg.MustRegister(m.Requests, m.EventsRejected, m.AddEventLatency)
	return m
}

// NopMetrics returns collectors that nothing exports.
func NopMetrics() *Metrics {
	return &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "node", Name: "api_requests_total", Help: "API requests by method and code.",
		}, []string{"method", "code"}),
		EventsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "node", Name: "events_rejected_total", Help: "AddEvent calls rejected, by error code.",
		}, []string{"code"}),
		AddEventLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "node", Name: "add_event_seconds", Help: "Time to ack an AddEvent.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
}
