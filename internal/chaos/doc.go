// Package chaos runs the built node binary as a devnet (a `node devchain`
// process and five `node run` processes on loopback, channels with three
// replicas) under a load generator that posts through random nodes while a
// driver SIGKILLs and restarts random replicas and leaders, pauses nodes
// (SIGSTOP, then SIGCONT) and cuts nodes off their peers. A cut is real: the
// node is stopped and run again with its p2p listener on a port no peer
// knows and with the registry, the peerstore, mDNS and the DHT off, so it
// reaches no peer and no peer reaches it while it keeps serving its API;
// then it runs as before. At the end every node is up again and the run
// checks that every acked event is in exactly one block on every replica
// and that the replicas' miniblocks are identical, and prints one summary
// line.
//
// `make chaos` runs the full form (100 kills over 10 minutes) through
// cmd/chaos. The seed drives the driver's and the load's choices; the
// processes' own timing is not under its control, so a seed does not replay
// a run bit for bit (internal/sim does that for the replica logic).
package chaos
