package evm

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

// logEvents are the StreamRegistry events the node decodes from receipts
// and from the watch's logs, by the fuzzer's kind byte (mod 4; 3 is an
// unknown topic).
var logEvents = []string{
	bindings.StreamRegistryMiniblockRegisteredEventName,
	bindings.StreamRegistryMiniblockRejectedEventName,
	bindings.StreamRegistryStreamAllocatedEventName,
}

func fuzzLog(sr *bindings.StreamRegistry, addr common.Address, kind uint8, data []byte) *types.Log {
	l := &types.Log{Address: addr, Data: data, BlockNumber: 9, TxHash: common.Hash{4}}
	if int(kind%4) < len(logEvents) {
		l.Topics = []common.Hash{sr.GetABI().Events[logEvents[kind%4]].ID, {1}}
	} else {
		l.Topics = []common.Hash{{0xee}}
	}
	if kind&0x80 != 0 { // no indexed stream id
		l.Topics = l.Topics[:1]
	}
	return l
}

// receiptSeeds are (kind, data) pairs of two logs and the batch size: a
// valid receipt of a two-item batch and broken ones.
func receiptSeeds(t testing.TB) map[string]struct {
	k1, k2 uint8
	d1, d2 []byte
	n      uint8
} {
	sr := bindings.NewStreamRegistry()
	pack := func(name string, args ...any) []byte {
		b, err := sr.GetABI().Events[name].Inputs.NonIndexed().Pack(args...)
		require.NoError(t, err)
		return b
	}
	reg := pack(bindings.StreamRegistryMiniblockRegisteredEventName, uint64(3), [32]byte{5}, big.NewInt(0))
	rej := pack(bindings.StreamRegistryMiniblockRejectedEventName, uint64(2), [32]byte{6}, uint8(chainlink.RejectSwap), big.NewInt(1))
	alloc := pack(bindings.StreamRegistryStreamAllocatedEventName, []common.Address{{1}, {2}}, uint32(2), [32]byte{7})
	big1 := pack(bindings.StreamRegistryMiniblockRegisteredEventName, uint64(3), [32]byte{5}, new(big.Int).Lsh(big.NewInt(1), 200))
	type seed = struct {
		k1, k2 uint8
		d1, d2 []byte
		n      uint8
	}
	return map[string]seed{
		"valid-batch":     {0, 1, reg, rej, 2},
		"allocated":       {2, 2, alloc, alloc, 0},
		"index-too-big":   {0, 1, big1, rej, 2},
		"short-data":      {0, 1, reg[:40], rej, 2},
		"count-mismatch":  {0, 0, reg, reg, 2},
		"no-stream-topic": {0x80, 1, reg, rej, 2},
		"unknown-topic":   {3, 1, reg, rej, 1},
		"empty":           {0, 0, nil, nil, 0},
	}
}

// FuzzReceiptLogs feeds receipt logs to the decoders of a batch receipt
// (readBatchEvents) and of the watch (the StreamAllocated and
// MiniblockRegistered unpackers): they never panic, and a receipt they
// accept names every item of the batch exactly once, in range.
func FuzzReceiptLogs(f *testing.F) {
	for _, s := range receiptSeeds(f) {
		f.Add(s.k1, s.d1, s.k2, s.d2, s.n)
	}
	sr := bindings.NewStreamRegistry()
	c := &Chain{sr: sr, streamReg: DevStreamRegistry}
	f.Fuzz(func(t *testing.T, k1 uint8, d1 []byte, k2 uint8, d2 []byte, n uint8) {
		logs := []*types.Log{fuzzLog(sr, c.streamReg, k1, d1), fuzzLog(sr, c.streamReg, k2, d2)}
		for _, l := range logs { // the watch's decoders
			_, _ = sr.UnpackStreamAllocatedEvent(l)
			_, _ = sr.UnpackMiniblockRegisteredEvent(l)
		}
		rcpt := &types.Receipt{Status: types.ReceiptStatusSuccessful, BlockNumber: big.NewInt(9), Logs: logs}
		res := make([]chainlink.RegistrationResult, n%4)
		if err := c.readBatchEvents(rcpt, res); err != nil {
			return
		}
		// Accepted: the logs name each item of the batch exactly once.
		named := map[uint64]int{}
		for _, l := range logs {
			switch {
			case len(l.Topics) == 0 || l.Topics[0] != sr.GetABI().Events[logEvents[0]].ID && l.Topics[0] != sr.GetABI().Events[logEvents[1]].ID:
			case l.Topics[0] == sr.GetABI().Events[logEvents[0]].ID:
				ev, err := sr.UnpackMiniblockRegisteredEvent(l)
				require.NoError(t, err)
				named[ev.Index.Uint64()]++
				require.True(t, res[ev.Index.Uint64()].OK)
			default:
				ev, err := sr.UnpackMiniblockRejectedEvent(l)
				require.NoError(t, err)
				named[ev.Index.Uint64()]++
				require.Equal(t, chainlink.RejectReason(ev.Reason), res[ev.Index.Uint64()].Reason)
			}
		}
		for i, r := range res {
			require.Equal(t, uint64(9), r.Block, "item %d", i)
			require.Equal(t, 1, named[uint64(i)], "item %d named %d times", i, named[uint64(i)])
		}
	})
}

// TestWriteReceiptFuzzCorpus regenerates testdata/fuzz/FuzzReceiptLogs:
// EVM_WRITE_CORPUS=1 go test -run TestWriteReceiptFuzzCorpus ./chainlink/evm/
func TestWriteReceiptFuzzCorpus(t *testing.T) {
	if os.Getenv("EVM_WRITE_CORPUS") == "" {
		t.Skip("set EVM_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReceiptLogs")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, s := range receiptSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\nuint8(%d)\n[]byte(%q)\nuint8(%d)\n[]byte(%q)\nuint8(%d)\n", s.k1, s.d1, s.k2, s.d2, s.n)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}

// TestReceiptSeedValid: the valid seed decodes as a two-item batch, one
// registered and one rejected.
func TestReceiptSeedValid(t *testing.T) {
	s := receiptSeeds(t)["valid-batch"]
	sr := bindings.NewStreamRegistry()
	c := &Chain{sr: sr, streamReg: DevStreamRegistry}
	res := make([]chainlink.RegistrationResult, 2)
	rcpt := &types.Receipt{Status: types.ReceiptStatusSuccessful, BlockNumber: big.NewInt(9),
		Logs: []*types.Log{fuzzLog(sr, c.streamReg, s.k1, s.d1), fuzzLog(sr, c.streamReg, s.k2, s.d2)}}
	require.NoError(t, c.readBatchEvents(rcpt, res))
	require.True(t, res[0].OK)
	require.Equal(t, chainlink.RejectSwap, res[1].Reason)
}
