// Package observer pushes what a node does to other programs: for each
// `--observer URL[,events=TYPE+TYPE]` it POSTs one JSON Payload per new
// miniblock, event, stream creation, membership change or catch-up step
// (sync_progress: started, every 5 s of progress, caught up).
//
// An observer never slows the node. Observe, on the actor's goroutine, only
// hands the update (pointers the node already holds) to each observer's
// bounded queue, without blocking (a full queue drops and counts). A writer
// per observer turns queued updates into JSON and appends them to a durable
// outbox under the data dir with group commit: it wakes on the first
// update, gathers for Options.Linger (20 ms), then writes and fsyncs the
// whole batch once, so the disk sees at most one observer fsync per linger
// rather than one per update, and the node's store does not queue its
// syncs behind them. A sender per observer POSTs the outbox in order,
// deleting each payload after a 2xx and retrying failures with capped,
// jittered backoff.
//
// Durability, as chosen: a payload is on disk before it is sent, but not
// before the node acknowledges the event to its client. The node does not
// wait for its observers; so a crash within a linger (plus whatever was
// queued) after an ack loses those payloads, although the node itself kept
// the events. Replaying them from the store at start is not done.
//
// The outbox holds at most MaxOutbox payloads; past that the oldest are dropped and counted. At start
// an outbox is replayed (the cap's drops reach the disk with the next
// delivery or compaction, so a restart may offer some dropped payloads
// once more). Health (outbox depth, deliveries, retries, drops,
// last error time) is in Metrics, and with the last error's text in Health,
// which the debug console shows.
//
// Delivery is at least once: the cursor (the first undelivered seq) is
// written at most every 50 ms while delivering, when the sender goes idle
// and at close, so a crash sends the payloads delivered since again, with
// the same seq; receivers deduplicate by seq. A seq is never given twice. At start the outboxes of observers no longer configured are removed.
package observer
