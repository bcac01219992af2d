package sim

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// byzMode is what a Byzantine replica does wrong.
type byzMode int

const (
	byzNone byzMode = iota
	byzModes
)

func (m byzMode) String() string { return "none" }

// byzantine is the state of a Byzantine replica's shell.
type byzantine struct{ mode byzMode }

func (n *node) byzRegister(e streams.RegisterBlock) { n.s.chain.submit(n, e.Block, e.Round) }

func (n *node) byzVote(resp *pb.VoteResponse) *pb.VoteResponse { return resp }

func (n *node) byzServeEvents(hashes []common.Hash) []*streams.ParsedEvent { return nil }

func (n *node) byzServeBlocks(bs []*streams.ParsedMiniblock) []*streams.ParsedMiniblock { return bs }
