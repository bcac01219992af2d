package observer

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Health is one observer's state, for the debug console: the same figures
// as Metrics, plus the last error's text.
type Health struct {
	URL    string   `json:"url"`
	Types  []string `json:"types"`
	Outbox int      `json:"outbox"` // payloads on disk, not yet delivered
	Queue  int      `json:"queue"`  // updates waiting to be written to the outbox
	// Counters since the node started.
	Delivered   uint64    `json:"delivered"`
	Retries     uint64    `json:"retries"`
	Dropped     uint64    `json:"dropped"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Down is set while the last delivery attempt failed.
	Down bool `json:"down"`
}

// stats are a worker's counters.
type stats struct {
	delivered, retries, dropped atomic.Uint64
	down                        atomic.Bool

	mu      sync.Mutex
	lastErr string
	lastAt  time.Time
}

func (s *stats) failed(err error) {
	s.down.Store(true)
	s.mu.Lock()
	s.lastErr, s.lastAt = err.Error(), time.Now()
	s.mu.Unlock()
}

// Health reports each observer, in configuration order (nil without
// observers).
func (o *Observers) Health() []Health {
	if o == nil {
		return nil
	}
	out := make([]Health, 0, len(o.ws))
	for _, w := range o.ws {
		h := Health{
			URL:       w.cfg.URL,
			Outbox:    w.box.len(),
			Queue:     len(w.in),
			Delivered: w.st.delivered.Load(),
			Retries:   w.st.retries.Load(),
			Dropped:   w.st.dropped.Load(),
			Down:      w.st.down.Load(),
		}
		for _, t := range AllTypes {
			if w.cfg.wants(t) {
				h.Types = append(h.Types, t)
			}
		}
		sort.Strings(h.Types)
		w.st.mu.Lock()
		h.LastError, h.LastErrorAt = w.st.lastErr, w.st.lastAt
		w.st.mu.Unlock()
		out = append(out, h)
	}
	return out
}
