package streams

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// minParallelEvents is the smallest block whose events are recovered in
// parallel: below it, starting goroutines costs more than it saves.
const minParallelEvents = 8

// ParseMiniblockParallel is ParseMiniblock with the event signatures
// recovered by up to workers goroutines: the same checks in the same
// order, so the same block or the same error (the first failing event's,
// as the serial parse reports it) for any workers. The goroutines live
// only inside the call. workers <= 1 is the serial parse.
func ParseMiniblockParallel(mb *pb.Miniblock, workers int) (*ParsedMiniblock, error) {
	return parseMiniblock(mb, nil, workers)
}

// VerifyMiniblockParallel parses mb with parallel signature recovery
// (ParseMiniblockParallel) and verifies it against its parent view
// (VerifyMiniblock): the cold path of a node that holds none of the
// block's events, as in catch-up.
func VerifyMiniblockParallel(parent *View, cfg Config, replicas []common.Address, mb *pb.Miniblock, workers int) (*ParsedMiniblock, error) {
	pm, err := ParseMiniblockParallel(mb, workers)
	if err != nil {
		return nil, err
	}
	if err := VerifyMiniblock(parent, cfg, replicas, pm); err != nil {
		return nil, err
	}
	return pm, nil
}

type parsedEnvelope struct {
	ev  *ParsedEvent
	err error
}

// parseEnvelopes parses every envelope that known does not resolve, on up
// to workers goroutines, each result in its slot. It returns nil when the
// serial path should do the work (one worker, a small block).
func parseEnvelopes(envs []*pb.Envelope, known func(common.Hash) *ParsedEvent, workers int) []parsedEnvelope {
	if workers <= 1 || len(envs) < minParallelEvents {
		return nil
	}
	workers = min(workers, len(envs)/(minParallelEvents/2))
	out := make([]parsedEnvelope, len(envs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(envs) {
					return
				}
				env := envs[i]
				if known != nil && env != nil && len(env.Hash) == common.HashLength {
					if k := known(common.Hash(env.Hash)); k != nil && bytes.Equal(k.Envelope.Event, env.Event) && bytes.Equal(k.Envelope.Signature, env.Signature) {
						continue // the caller takes the known event
					}
				}
				out[i].ev, out[i].err = ParseEnvelope(env)
			}
		})
	}
	wg.Wait()
	return out
}
