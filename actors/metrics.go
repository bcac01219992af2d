package actors

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the actors' Prometheus collectors. NopMetrics returns a set
// that is never registered, so code can always record.
type Metrics struct {
	// EventsAdded counts events acked (durable on a majority).
	EventsAdded prometheus.Counter
	// EventsRejected counts events the stream actors refused, by error code.
	EventsRejected *prometheus.CounterVec
	// MiniblocksSealed counts miniblocks registered and applied.
	MiniblocksSealed prometheus.Counter
	// SealLatency is the time from an event's ack to the application of the
	// miniblock that includes it.
	SealLatency prometheus.Histogram
	// MinipoolEvents is the size of a minipool when its miniblock is proposed.
	MinipoolEvents prometheus.Histogram
	// MinipoolTotal is the number of events waiting in all live minipools.
	MinipoolTotal prometheus.Gauge
	// LiveActors counts live actors by kind.
	LiveActors *prometheus.GaugeVec
	// ChainBatch is the number of registrations per chain submission.
	ChainBatch prometheus.Histogram
	// Fetches counts fetches from peers, by reason (announced, voted, blocks).
	Fetches *prometheus.CounterVec
	// BlocksReceived counts blocks made by other nodes and applied here.
	BlocksReceived prometheus.Counter
	// BlocksRejected counts blocks that failed verification, by error code.
	BlocksRejected *prometheus.CounterVec
	// VoteLatency is the time a leader waits for one remote replica's vote.
	VoteLatency prometheus.Histogram
	// WakeChainReads counts stream loads by where their chain state came
	// from: "chain" (a chain.Stream read) or "remembered" (chainrecs.go).
	WakeChainReads *prometheus.CounterVec
	// Sync holds the catch-up collectors.
	Sync *SyncMetrics
	// HeadStreams is the number of stream actors chain heads go to.
	HeadStreams prometheus.Gauge
	// HeadsDelivered counts chain heads sent to stream actors.
	HeadsDelivered prometheus.Counter
	// Forwards counts client requests forwarded to a replica, by outcome
	// (ok, refused: the replica's coded refusal, failed: no replica answered).
	Forwards *prometheus.CounterVec
	// QueueRefused counts requests refused (gossip dropped) at a full
	// queue, by queue: registry, stream, loading, deferred (admission.go).
	QueueRefused *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := NopMetrics()
	reg.MustRegister(m.EventsAdded, m.EventsRejected, m.MiniblocksSealed, m.SealLatency,
		m.MinipoolEvents, m.MinipoolTotal, m.LiveActors, m.ChainBatch, m.Fetches, m.BlocksReceived, m.BlocksRejected, m.VoteLatency,
		m.WakeChainReads, m.HeadStreams, m.HeadsDelivered, m.Forwards, m.QueueRefused)
	reg.MustRegister(m.Sync.collectors()...)
	return m
}

// NopMetrics returns collectors that nothing exports.
func NopMetrics() *Metrics {
	const ns = "node"
	return &Metrics{
		Sync: NopSyncMetrics(),
		EventsAdded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "events_added_total", Help: "Events acked as durable.",
		}),
		EventsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "stream_events_rejected_total", Help: "Events rejected by stream actors, by error code.",
		}, []string{"code"}),
		MiniblocksSealed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "miniblocks_sealed_total", Help: "Miniblocks registered on the chain and applied.",
		}),
		SealLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Name: "event_seal_latency_seconds", Help: "Time from an event's ack to the application of its miniblock.",
			Buckets: prometheus.ExponentialBuckets(0.01, 1.6, 16),
		}),
		MinipoolEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Name: "minipool_events", Help: "Minipool size when a miniblock is proposed.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 16),
		}),
		MinipoolTotal: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "minipool_events_total", Help: "Events waiting in the minipools of live stream actors.",
		}),
		LiveActors: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "live_actors", Help: "Live actors by kind.",
		}, []string{"kind"}),
		ChainBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Name: "chain_registration_batch", Help: "Registrations per chain submission.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		Fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "fetches_total", Help: "Fetches from peers, by reason.",
		}, []string{"reason"}),
		BlocksReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "miniblocks_received_total", Help: "Miniblocks made by other nodes, verified and applied.",
		}),
		BlocksRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "miniblocks_rejected_total", Help: "Miniblocks that failed verification, by error code.",
		}, []string{"code"}),
		VoteLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Name: "vote_latency_seconds", Help: "Time a leader waits for one remote replica's vote.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		WakeChainReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "stream_load_chain_state_total", Help: "Stream loads by the source of their chain state (chain, remembered).",
		}, []string{"source"}),
		HeadStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "head_streams", Help: "Stream actors that chain heads go to (those with work).",
		}),
		HeadsDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "heads_delivered_total", Help: "Chain heads sent to stream actors.",
		}),
		Forwards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "forwarded_requests_total", Help: "Client requests forwarded to a replica, by outcome.",
		}, []string{"outcome"}),
		QueueRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "queue_refused_total", Help: "Requests refused RESOURCE_EXHAUSTED (gossip dropped) at a full actor queue, by queue.",
		}, []string{"queue"}),
	}
}
