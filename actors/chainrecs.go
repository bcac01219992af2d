package actors

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/towns-node/node/streams"
)

// chainRecsSize bounds the streams whose chain record a node remembers
// (~100 B each): past it the least recently used is forgotten, and that
// stream's next load reads the chain.
const chainRecsSize = 262144

// chainRecs remembers the chain's record of each stream as this node last
// saw it: from a chain read (a load or a sync), from the chain-writer's
// outcome for a block this node registered, and from the chain watch
// (Node.OnRegistered). A stream that wakes with its stored last block
// equal to the remembered one starts from the record instead of calling
// chain.Stream (an RPC on a real chain) on every reload.
//
// Only streams whose one replica is this node use it: no other node can
// register their blocks, so the record cannot go stale behind its back. A
// stream of k > 1 replicas reads the chain on each load until the chain
// watch feeds OnRegistered (unfinished, see doc.go).
type chainRecs struct {
	c *lru.Cache[streams.StreamID, chainRec]
}

type chainRec struct {
	num  int64
	hash common.Hash
	at   uint64 // chain block that registered it
}

func newChainRecs() chainRecs {
	c, err := lru.New[streams.StreamID, chainRec](chainRecsSize)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return chainRecs{c: c}
}

// saw records that block num of id, with hash, is registered at chain
// block at; an older record than the one held is ignored.
func (c chainRecs) saw(id streams.StreamID, num int64, hash common.Hash, at uint64) {
	if old, ok := c.c.Peek(id); ok && old.num > num {
		return
	}
	c.c.Add(id, chainRec{num: num, hash: hash, at: at})
}

// forLoad is the chain state a stream starts from after a load: from the
// record when the stream is this node's alone and its stored last block is
// the recorded one, else read from the chain (and recorded).
func (n *Node) chainForLoad(ctx context.Context, id streams.StreamID, last *streams.ParsedMiniblock, replicas []common.Address, createdAt uint64) streams.ChainState {
	if len(replicas) == 1 && replicas[0] == n.addr {
		if r, ok := n.chainRecs.c.Get(id); ok && r.num == last.Num() && r.hash == last.Hash {
			n.m.WakeChainReads.WithLabelValues("remembered").Inc()
			return streams.ChainState{LastNum: r.num, LastHash: r.hash, LastRegisteredAt: r.at}
		}
	}
	n.m.WakeChainReads.WithLabelValues("chain").Inc()
	return readChainState(ctx, n, id, last.Num(), createdAt)
}
