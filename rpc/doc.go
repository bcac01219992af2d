// Package rpc serves the client API and the debug endpoint of a node.
//
// The API is the ConnectRPC StreamService (gRPC, gRPC-Web and Connect/JSON
// on one handler, over HTTP/1.1 and cleartext HTTP/2) with gRPC server
// reflection. Handlers parse and check envelopes (hashes, signatures) on the
// request goroutine and hand parsed events to the stream actors. Errors carry
// a pb.ErrorCode: mapped to the nearest Connect code, with a pb.Error detail
// holding the domain code (ErrorCode reads it back on the client side).
//
// AddEvents (batch.go) is AddEvent for many events in one call, answered
// per event with the same codes; its events are parsed and added in
// parallel, and the limits count per event.
//
// SyncStreams is resumable: the first response says the subscription is
// live, every update carries a cursor, and a request with cursors gets the
// blocks and minipool events it missed, or a reset with the latest
// snapshot block when the cursor is outside the resume window (sync.go;
// the contract is in docs/protocol.md). GetLastMiniblock and GetNetworkInfo
// are the cheap reads a client needs before it posts or creates a stream.
//
// Limits (limits.go, DefaultLimits) bound a request's size, the time to
// send it, idle connections, the streams of one SyncStreams and the calls
// per client IP address; each refusal is coded RESOURCE_EXHAUSTED
// (docs/reliability.md lists them with their tests).
//
// The debug endpoint, on its own listener, lists actors (/debug/actors),
// describes one (/debug/actors/{name}), shows both as HTML (/debug/), and
// serves pprof (/debug/pprof/) and Prometheus metrics (/metrics).
package rpc
