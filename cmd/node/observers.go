package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/observer"
)

// observerFlags is the repeatable --observer URL[,events=...]; its
// environment mirror NODE_OBSERVER takes several, separated by spaces.
type observerFlags []observer.Config

func (f *observerFlags) String() string {
	var urls []string
	for _, c := range *f {
		urls = append(urls, c.URL)
	}
	return strings.Join(urls, " ")
}

func (f *observerFlags) Set(v string) error {
	for _, one := range strings.Fields(v) {
		c, err := observer.ParseConfig(one)
		if err != nil {
			return err
		}
		*f = append(*f, c)
	}
	return nil
}

// startObservers starts the configured observers (nil, nil when there are
// none), their outboxes under DATA_DIR/observers.
func startObservers(cfgs observerFlags, dataDir string, node common.Address, reg prometheus.Registerer, log *slog.Logger) (*observer.Observers, error) {
	if len(cfgs) == 0 {
		return nil, nil
	}
	opts := observer.DefaultOptions(filepath.Join(dataDir, "observers"))
	opts.Logger = log
	opts.Metrics = observer.NewMetrics(reg)
	o, err := observer.Start(cfgs, node.Bytes(), opts)
	if err != nil {
		return nil, fmt.Errorf("--observer: %w", err)
	}
	return o, nil
}

// observerHook hands the actors' updates to the observers.
type observerHook struct{ o *observer.Observers }

var _ actors.Observer = observerHook{}

func (h observerHook) Observe(u actors.Update) {
	h.o.Observe(observer.Update{StreamID: u.StreamID.Bytes(), Event: u.Event, Miniblock: u.Miniblock})
}

// ObserveSync makes the hook an actors.SyncObserver: catch-up progress
// becomes sync_progress payloads.
func (h observerHook) ObserveSync(r actors.SyncReport) {
	p := r.Progress
	h.o.Observe(observer.Update{StreamID: r.StreamID.Bytes(), Sync: &observer.SyncInfo{Phase: r.Phase, Local: p.Local,
		Target: p.Target, Remaining: p.Remaining, BlocksPS: p.BlocksPS, Peers: p.Peers, Banned: p.Banned, Reason: p.Reason}})
}

var _ actors.SyncObserver = observerHook{}

// actorsObserver is the hook for actors.Deps: nil without observers.
func actorsObserver(o *observer.Observers) actors.Observer {
	if o == nil {
		return nil
	}
	return observerHook{o}
}
