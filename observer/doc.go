// Package observer pushes what a node does to other programs: for each
// `--observer URL[,events=TYPE+TYPE]` it POSTs one JSON Payload per new
// miniblock, event, stream creation or membership change.
//
// An observer never slows the node. Observe only queues (a full queue drops
// and counts); a worker per observer writes the queue to a durable outbox
// under the data dir (fsynced before anything is sent) and a sender per
// observer POSTs the outbox in order, deleting each payload after a 2xx and
// retrying failures with capped, jittered backoff. The outbox holds at most
// MaxOutbox payloads; past that the oldest are dropped and counted. At start
// an outbox is replayed. Health (outbox depth, deliveries, retries, drops,
// last error time) is in Metrics, and with the last error's text in Health,
// which the debug console shows.
//
// Delivery is at least once: a crash between a 2xx and the cursor write
// sends that payload again, with the same seq, so receivers deduplicate by
// seq. At start the outboxes of observers no longer configured are removed.
// Unfinished: sync-progress payloads (the actors report no sync progress
// to observers yet).
package observer
