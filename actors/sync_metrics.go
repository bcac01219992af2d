package actors

import "github.com/prometheus/client_golang/prometheus"

// SyncMetrics are the catch-up collectors (sync*.go). They live in
// Metrics.Sync, registered with the rest on the node's registry.
type SyncMetrics struct {
	// Applied counts blocks applied by catch-up (rate: blocks/s synced).
	Applied prometheus.Counter
	// Remaining is the blocks the syncing streams still lack, summed.
	Remaining prometheus.Gauge
	// Syncing is the number of streams in sync mode.
	Syncing prometheus.Gauge
	// InFlight is the range requests in flight.
	InFlight prometheus.Gauge
	// Staged is the staging backlog: blocks fetched and staged, not applied.
	Staged prometheus.Gauge
	// Peers counts the peers of syncing streams by state (ready, unknown,
	// banned), summed over streams.
	Peers *prometheus.GaugeVec
	// Bans counts peer bans by reason.
	Bans *prometheus.CounterVec
	// Requests counts range requests by outcome (ok, short, empty, error).
	Requests *prometheus.CounterVec
	// Validations counts validate-block answers by code (OK, BUSY, BAD_*).
	Validations *prometheus.CounterVec
}

// NopSyncMetrics returns collectors that nothing exports.
func NopSyncMetrics() *SyncMetrics {
	const ns, sub = "node", "sync"
	return &SyncMetrics{
		Applied: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "blocks_applied_total", Help: "Miniblocks applied by catch-up (its rate is the sync rate).",
		}),
		Remaining: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "blocks_remaining", Help: "Blocks the syncing streams still lack (chain head minus local head, summed).",
		}),
		Syncing: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "streams", Help: "Streams in sync mode.",
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_in_flight", Help: "Miniblock range requests in flight.",
		}),
		Staged: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "staged_blocks", Help: "Blocks fetched and staged, not yet applied (staging backlog).",
		}),
		Peers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "peers", Help: "Peers of syncing streams by state, summed over streams.",
		}, []string{"state"}),
		Bans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "bans_total", Help: "Peers banned by catch-up, by reason.",
		}, []string{"reason"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "range_requests_total", Help: "Miniblock range requests by outcome.",
		}, []string{"outcome"}),
		Validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "validations_total", Help: "Validate-block answers by code (OK, BUSY, BAD_*).",
		}, []string{"code"}),
	}
}

func (m *SyncMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Applied, m.Remaining, m.Syncing, m.InFlight, m.Staged, m.Peers, m.Bans, m.Requests, m.Validations}
}
