package main

import (
	"net/http"
	"time"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/console"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/store"
)

// withConsole serves the debug console (/debug/, /debug/api/, / redirects)
// in front of next, the older debug handler.
func withConsole(next http.Handler, c runConfig, started time.Time, node *actors.Node, st store.Store, chain chainlink.Chain, host *p2p.Host, obs *observer.Observers) (http.Handler, error) {
	d := console.Deps{
		Node:  node,
		Store: st,
		Chain: chain,
		P2P:   host,
		Info: console.Info{API: c.api, Debug: c.debug, DataDir: c.dataDir, Chain: c.chain,
			BlockTime: c.blockTime, Started: started},
	}
	if obs != nil {
		d.Observers = obs
	}
	con, err := console.New(d)
	if err != nil {
		return nil, err
	}
	return con.Handler(next), nil
}
