package p2p

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the p2p layer. libp2p's own metrics (swarm, identify, resource
// manager, ...) go on the same registry through libp2p.PrometheusRegisterer.
type Metrics struct {
	GaterRefused   prometheus.Counter     // connections refused: key not registered, not allowed
	PeerDials      *prometheus.CounterVec // dials by source (registry, mdns, dht, bootstrap, peerstore) and result
	Gossip         *prometheus.CounterVec // gossip outcomes: delivered, rejected, ignored, duplicate, throttled, dropped_rpc, undeliverable
	GossipRejected *prometheus.CounterVec // validator rejections by reason
	Published      *prometheus.CounterVec // messages published by kind
	JoinedTopics   prometheus.Gauge
	TopicLeaves    prometheus.Counter
	FilteredSubs   prometheus.Counter     // peer subscriptions dropped by the subscription filter
	Requests       *prometheus.CounterVec // direct requests served, by protocol and code
	RequestSeconds *prometheus.HistogramVec
	// PeerRateRefused counts direct requests refused because their peer
	// was over PeerRequestRate.
	PeerRateRefused prometheus.Counter
}

// NewMetrics registers the p2p metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := newMetrics()
	reg.MustRegister(m.GaterRefused, m.PeerDials, m.Gossip, m.GossipRejected, m.Published,
		m.JoinedTopics, m.TopicLeaves, m.FilteredSubs, m.Requests, m.RequestSeconds, m.PeerRateRefused)
	return m
}

// NopMetrics returns metrics registered nowhere.
func NopMetrics() *Metrics { return newMetrics() }

func newMetrics() *Metrics {
	return &Metrics{
		GaterRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "p2p_gater_refused_total", Help: "Connections refused by the gater (peer not a registered node, not allow-listed).",
		}),
		PeerDials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p2p_dials_total", Help: "Outbound dials by discovery source and result.",
		}, []string{"source", "result"}),
		Gossip: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p2p_gossip_messages_total", Help: "Gossip messages by outcome (from the pubsub raw tracer).",
		}, []string{"outcome"}),
		GossipRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p2p_gossip_rejected_total", Help: "Gossip messages rejected or ignored, by reason.",
		}, []string{"reason"}),
		Published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p2p_gossip_published_total", Help: "Gossip messages published by kind.",
		}, []string{"kind"}),
		JoinedTopics: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "p2p_joined_topics", Help: "Stream topics joined (active streams plus those within the leave delay).",
		}),
		TopicLeaves: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "p2p_topic_leaves_total", Help: "Stream topics left in pubsub (after the leave delay).",
		}),
		FilteredSubs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "p2p_filtered_subscriptions_total", Help: "Peer topic subscriptions dropped: foreign topic name or the per-peer topic cap.",
		}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p2p_requests_total", Help: "Direct protocol requests served, by protocol and answer code.",
		}, []string{"protocol", "code"}),
		RequestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "p2p_request_seconds", Help: "Direct protocol round trips made by this node.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
		}, []string{"protocol"}),
		PeerRateRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "p2p_peer_rate_refused_total", Help: "Direct requests refused RESOURCE_EXHAUSTED because their peer was over its request rate.",
		}),
	}
}
