package actors

import "github.com/towns-node/node/streams"

// SyncObserver is an Observer that also wants catch-up progress. The node
// tells it when a stream starts syncing, at each progress log line (every
// syncLogEvery while it syncs) and when it has caught up. Like Observe,
// ObserveSync is called on the stream's actor goroutine and must not block.
type SyncObserver interface {
	ObserveSync(SyncReport)
}

// The phases of a SyncReport.
const (
	SyncStarted    = "started"
	SyncProgressed = "progress"
	SyncCaughtUp   = "caught_up"
)

// SyncReport is one stream's catch-up at one moment: Progress is what the
// debug page shows for it (SyncProgress), Phase one of the constants above.
type SyncReport struct {
	StreamID streams.StreamID
	Phase    string
	Progress SyncProgress
}

// observeSync reports the stream's published sync progress (syncPublish)
// to the observer, if it wants it.
func (s *streamActor) observeSync(phase string) {
	so, ok := s.n.observer.(SyncObserver)
	if !ok {
		return
	}
	sh := s.n.syncs()
	sh.mu.Lock()
	p, ok := sh.progress[s.id.String()]
	sh.mu.Unlock()
	if ok {
		so.ObserveSync(SyncReport{StreamID: s.id, Phase: phase, Progress: p})
	}
}
