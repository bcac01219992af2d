package chaos

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

func coded(code pb.ErrorCode) error {
	e := connect.NewError(connect.CodeUnavailable, errors.New("x"))
	d, err := connect.NewErrorDetail(&pb.Error{Code: code, Message: "x"})
	if err != nil {
		panic(err)
	}
	e.AddDetail(d)
	return e
}

func TestNoAnswer(t *testing.T) {
	require.True(t, noAnswer(context.DeadlineExceeded))
	require.True(t, noAnswer(fmt.Errorf("post: %w", context.DeadlineExceeded)))
	require.True(t, noAnswer(connect.NewError(connect.CodeUnavailable, errors.New("dial tcp: connection refused"))))
	require.True(t, noAnswer(connect.NewError(connect.CodeCanceled, errors.New("connection reset by peer"))))
	require.False(t, noAnswer(coded(pb.ErrorCode_QUORUM_NOT_REACHED)), "a coded refusal is an answer")
	require.False(t, noAnswer(coded(pb.ErrorCode_NOT_REPLICA)))
}

// TestSettledAndCounts: the end check's view comparison and its counts of
// lost and duplicated acked events.
func TestSettledAndCounts(t *testing.T) {
	h1, h2, h3 := common.Hash{1}, common.Hash{2}, common.Hash{3}
	r := &run{acked: map[common.Hash]int{h1: 0, h2: 0}}
	v := func(blocks []string, events map[common.Hash]int, rejected ...common.Hash) replicaView {
		rv := replicaView{events: events, rejected: map[common.Hash]bool{}}
		for _, b := range blocks {
			rv.blocks = append(rv.blocks, []byte(b))
		}
		for _, h := range rejected {
			rv.rejected[h] = true
		}
		return rv
	}
	same := [][]replicaView{{v([]string{"a", "b"}, map[common.Hash]int{h1: 1, h2: 1}), v([]string{"a", "b"}, map[common.Hash]int{h1: 1, h2: 1})}}
	require.True(t, r.settled(same))
	behind := [][]replicaView{{v([]string{"a", "b"}, map[common.Hash]int{h1: 1, h2: 1}), v([]string{"a"}, map[common.Hash]int{h1: 1, h2: 1})}}
	require.False(t, r.settled(behind))
	missing := [][]replicaView{{v([]string{"a"}, map[common.Hash]int{h1: 1, h3: 1})}}
	require.False(t, r.settled(missing))
	listed := [][]replicaView{{v([]string{"a"}, map[common.Hash]int{h1: 1}, h2)}}
	require.True(t, r.settled(listed), "an acked event listed as rejected is accounted for")
	require.False(t, sameBlocks([][]byte{[]byte("a")}, [][]byte{[]byte("b")}))
}

func TestSummaryOK(t *testing.T) {
	s := Summary{Identical: true}
	require.True(t, s.OK())
	for _, bad := range []Summary{{Identical: true, Lost: 1}, {Identical: true, Duplicated: 1}, {}, {Identical: true, Problems: []string{"x"}}} {
		require.False(t, bad.OK(), "%+v", bad)
	}
	require.Contains(t, Summary{Acked: 3, Kills: 2}.Line(), "acked=3 lost=0 duplicated=0")
}
