package streams

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// One form of ids where a person reads them: the node's errors and logs
// print stream ids, byte strings, hashes and addresses as 0x and lower case.
func TestIDsReadOneWay(t *testing.T) {
	id := StreamID{0x20, 0xAB}
	hexID := "0x20ab" + fmt.Sprintf("%060x", 0)
	addr := common.HexToAddress("0xABCDEF0000000000000000000000000000000001") // EIP-55 would mix case
	hash := common.Hash{0xCD}

	require.Equal(t, hexID, fmt.Sprintf("%s", id))
	require.Equal(t, hexID, fmt.Sprintf("%v", id))
	require.Equal(t, hexID, fmt.Sprintf("%#x", id))
	require.Equal(t, hexID[2:], fmt.Sprintf("%x", id), "%x is the bare digits, as String")
	require.Equal(t, hexID[2:], id.String(), "String stays without 0x: it names topics and actors")

	err := Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s is not a member of %s; event %x names %x, %s", addr, id, []byte{0xEF, 1}, []byte{0x20}, hash)
	require.Equal(t, "0xabcdef0000000000000000000000000000000001 is not a member of "+hexID+
		"; event 0xef01 names 0x20, 0xcd"+fmt.Sprintf("%062x", 0), err.Msg)
	require.Equal(t, "count 3 of [1 2]", Errorf(pb.ErrorCode_BAD_PAYLOAD, "count %d of %d", 3, []byte{1, 2}).Msg, "other verbs keep their meaning")

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "stream", id)
	require.Contains(t, buf.String(), "stream="+hexID)
	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "stream", id)
	require.Contains(t, buf.String(), `"stream":"`+hexID+`"`)
}
