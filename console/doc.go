// Package console is the node's debug console: server-rendered HTML pages
// at /debug/ on the debug listener, one per concern, each with its JSON at
// the same path under /debug/api/:
//
//	/debug/               node: address, peer id, version, uptime, data dir,
//	                      chain, store size, observers' health
//	/debug/streams        every hosted stream, live or passivated, paged
//	                      (?page=N) and searchable by id prefix (?prefix=0x..)
//	/debug/streams/{id}   one stream: replicas and who is in its topic, the
//	                      next height's leader per round, last blocks,
//	                      minipool, pending acks, fetches, sync state
//	/debug/actors         the actor tree with mailbox lengths, kinds, ages
//	/debug/peers          connected peers (chain address, latency, gossip
//	                      score, topics) and refused peers with the reason
//
// A page refreshes its main section by a short poll of itself
// (?fragment=1) every two seconds; nothing is built, the templates and the
// little JavaScript (copy buttons, poll) are embedded. Ids are 0x and
// lower-case hex everywhere, shortened on the page with the full value on
// hover and a copy button; the stream path accepts them with or without 0x,
// in any case.
//
// Passivated streams are read from the store (actors.Node.StoredView), so
// listing them wakes no actor. The stream page's leaders are those of the
// next height only: later heights depend on randao not yet on chain.
// /debug/actors answers a browser (Accept: text/html) with the page and
// anything else with the JSON list it served before the console; other
// paths the console does not own go to the handler it wraps (pprof,
// /metrics, /debug/actors/{name}, /debug/p2p).
package console
