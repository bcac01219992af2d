// Package rpc serves the client API and the debug endpoint of a node.
//
// The API is the ConnectRPC StreamService (gRPC, gRPC-Web and Connect/JSON
// on one handler, over HTTP/1.1 and cleartext HTTP/2) with gRPC server
// reflection. Handlers parse and check envelopes (hashes, signatures) on the
// request goroutine and hand parsed events to the stream actors. Errors carry
// a pb.ErrorCode: mapped to the nearest Connect code, with a pb.Error detail
// holding the domain code (ErrorCode reads it back on the client side).
//
// The debug endpoint, on its own listener, lists actors (/debug/actors),
// describes one (/debug/actors/{name}), shows both as HTML (/debug/), and
// serves pprof (/debug/pprof/) and Prometheus metrics (/metrics).
package rpc
