package actors

import (
	"testing"
	"time"
)

// TestWorkersNeverWait: with every kept goroutine busy, run still runs the
// next function at once (on a new goroutine), and stop waits for the kept
// ones.
func TestWorkersNeverWait(t *testing.T) {
	w := newWorkers(1)
	release, started := make(chan struct{}), make(chan struct{})
	w.run(func() { close(started); <-release })
	<-started
	done := make(chan struct{})
	w.run(func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a function waited for a busy worker")
	}
	close(release)
	w.stop()
	ran := make(chan struct{})
	w.run(func() { close(ran) }) // after stop: a new goroutine
	<-ran
}
