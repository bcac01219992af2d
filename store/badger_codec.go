// Badger's key layout and value encodings (the layout is documented in badger.go).

package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// --- keys and values ----------------------------------------------------

func streamKey(prefix byte, id []byte, extra int) []byte {
	k := make([]byte, 2+len(id), 2+len(id)+extra)
	k[0] = prefix
	k[1] = byte(len(id))
	copy(k[2:], id)
	return k
}

func numKey(prefix byte, id []byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(streamKey(prefix, id, 8), uint64(n))
}

func hashKey(prefix byte, id, hash []byte) []byte {
	return append(streamKey(prefix, id, len(hash)), hash...)
}

func poolPrefix(id []byte, gen int64) []byte {
	return binary.BigEndian.AppendUint64(streamKey(pfxPool, id, 16), uint64(gen))
}

func poolKey(id []byte, gen, slot int64) []byte {
	return binary.BigEndian.AppendUint64(poolPrefix(id, gen), uint64(slot))
}

func stageIdxKey(id []byte, num int64, hash []byte) []byte {
	return append(numKey(pfxStageIdx, id, num), hash...)
}

func metaKey(key string) []byte {
	return append([]byte{pfxMeta}, key...)
}

// streamState is the small per-stream record every write reads first.
type streamState struct {
	lastNum  int64
	snapNum  int64 // -1: no block carries a snapshot
	nextSlot int64 // next minipool slot in generation lastNum+1
	lastHash []byte
}

func (s streamState) gen() int64 { return s.lastNum + 1 }

func (s streamState) encode() []byte {
	v := make([]byte, 0, 24+len(s.lastHash))
	v = binary.BigEndian.AppendUint64(v, uint64(s.lastNum))
	v = binary.BigEndian.AppendUint64(v, uint64(s.snapNum))
	v = binary.BigEndian.AppendUint64(v, uint64(s.nextSlot))
	return append(v, s.lastHash...)
}

func decodeState(v []byte) (streamState, error) {
	if len(v) < 24 {
		return streamState{}, fmt.Errorf("store: corrupt stream state of %d bytes", len(v))
	}
	st := streamState{
		lastNum:  int64(binary.BigEndian.Uint64(v)),
		snapNum:  int64(binary.BigEndian.Uint64(v[8:])),
		nextSlot: int64(binary.BigEndian.Uint64(v[16:])),
		lastHash: clone(v[24:]),
	}
	if st.lastNum < 0 || st.snapNum < -1 || st.snapNum > st.lastNum || st.nextSlot < 0 {
		return streamState{}, fmt.Errorf("store: corrupt stream state (last %d, snapshot %d, next slot %d)", st.lastNum, st.snapNum, st.nextSlot)
	}
	return st, nil
}

func encodeBlock(hash, data []byte) []byte {
	v := make([]byte, 0, binary.MaxVarintLen64+len(hash)+len(data))
	v = binary.AppendUvarint(v, uint64(len(hash)))
	v = append(v, hash...)
	return append(v, data...)
}

func decodeBlock(num int64, v []byte) (Miniblock, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return Miniblock{}, fmt.Errorf("store: corrupt block %d", num)
	}
	return Miniblock{Num: num, Hash: clone(v[k : k+int(n)]), Data: clone(v[k+int(n):])}, nil
}

const (
	flagProcessed = 1 << iota
	flagOrphaned
)

func encodeStaged(b StagedBlock) []byte {
	v := make([]byte, 0, 9+binary.MaxVarintLen64+len(b.Parent)+len(b.Data))
	v = binary.BigEndian.AppendUint64(v, uint64(b.Num))
	var f byte
	if b.Processed {
		f |= flagProcessed
	}
	if b.Orphaned {
		f |= flagOrphaned
	}
	v = append(v, f)
	v = binary.AppendUvarint(v, uint64(len(b.Parent)))
	v = append(v, b.Parent...)
	return append(v, b.Data...)
}

func decodeStaged(streamID, hash, v []byte) (StagedBlock, error) {
	if len(v) < 9 {
		return StagedBlock{}, fmt.Errorf("store: corrupt staged block %x", hash)
	}
	b := StagedBlock{
		StreamID:  clone(streamID),
		Hash:      clone(hash),
		Num:       int64(binary.BigEndian.Uint64(v)),
		Processed: v[8]&flagProcessed != 0,
		Orphaned:  v[8]&flagOrphaned != 0,
	}
	n, k := binary.Uvarint(v[9:])
	if k <= 0 || uint64(len(v)-9-k) < n || b.Num < 0 {
		return StagedBlock{}, fmt.Errorf("store: corrupt staged block %x", hash)
	}
	rest := v[9+k:]
	b.Parent = clone(rest[:n])
	b.Data = clone(rest[n:])
	return b, nil
}

// getValue reads a key, copying its value; ok is false when absent.
func getValue(txn *badger.Txn, key []byte) (v []byte, ok bool, err error) {
	it, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get: %w", err)
	}
	v, err = it.ValueCopy(nil)
	if err != nil {
		return nil, false, fmt.Errorf("store: read value: %w", err)
	}
	return v, true, nil
}

func loadState(txn *badger.Txn, id []byte) (streamState, error) {
	v, ok, err := getValue(txn, streamKey(pfxState, id, 0))
	if err != nil {
		return streamState{}, err
	}
	if !ok {
		return streamState{}, fmt.Errorf("%w: %x", ErrStreamNotFound, id)
	}
	return decodeState(v)
}

func loadBlock(txn *badger.Txn, id []byte, num int64) (Miniblock, error) {
	v, ok, err := getValue(txn, numKey(pfxBlock, id, num))
	if err != nil {
		return Miniblock{}, err
	}
	if !ok {
		return Miniblock{}, fmt.Errorf("%w: block %d of %x", ErrNotFound, num, id)
	}
	return decodeBlock(num, v)
}
