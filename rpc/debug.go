package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/client"
)

// DebugHandler serves /debug/actors, /debug/actors/{name}, /debug/sync, /debug/ (HTML),
// /debug/pprof/ and /metrics (from gatherer; nil means the default registry).
func DebugHandler(node *actors.Node, gatherer prometheus.Gatherer) http.Handler {
	if gatherer == nil {
		gatherer = prometheus.DefaultGatherer
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/actors", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		list, err := node.Actors(ctx)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, humanActors(list))
	})
	mux.HandleFunc("GET /debug/actors/{name...}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		info, err := node.Actor(ctx, r.PathValue("name"))
		if errors.Is(err, actors.ErrUnknownActor) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, info.HumanIDs())
	})
	mux.HandleFunc("GET /debug/{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		list, err := node.Actors(ctx)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, struct {
			Node   string
			Actors []actors.ActorInfo
		}{client.FormatHex(node.Address().Bytes()), humanActors(list)})
	})
	mux.HandleFunc("GET /debug/sync", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, node.SyncStatus().HumanIDs()) // catch-up: streams syncing, rate, ETA, bans
	})
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

// humanActors is list with its ids as a person reads them (0x, lower case).
func humanActors(list []actors.ActorInfo) []actors.ActorInfo {
	out := make([]actors.ActorInfo, len(list))
	for i, a := range list {
		out[i] = a.HumanIDs()
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

var page = template.Must(template.New("debug").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>node {{.Node}}</title>
<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left;font-family:monospace}tr:nth-child(even){background:#f3f3f3}</style>
</head><body>
<h1>node {{.Node}}</h1>
<p><a href="/debug/actors">actors (JSON)</a> · <a href="/debug/p2p">p2p (JSON)</a> · <a href="/metrics">metrics</a> · <a href="/debug/pprof/">pprof</a></p>
<table>
<tr><th>kind</th><th>name</th><th>mailbox</th><th>minipool</th><th>generation</th><th>last block</th><th>leader</th><th>state</th></tr>
{{range .Actors}}<tr><td>{{.Kind}}</td><td><a href="/debug/actors/{{.Name}}">{{.Name}}</a></td><td>{{.Mailbox}}</td><td>{{.MinipoolSize}}</td><td>{{.Generation}}</td><td>{{.LastMiniblockNum}} {{.LastMiniblockHash}}</td><td>{{.Leader}}</td><td>{{.State}}{{if .Behind}} behind{{end}}</td></tr>
{{end}}</table>
</body></html>
`))
