// Package e2e runs the built node binary: a node, the client verbs against
// it, a SIGKILL and a restart on the same data dir.
package e2e
