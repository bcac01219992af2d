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

// poolKey is the key of minipool entry seq. Entries are numbered per
// stream in append order and keep their number across block writes.
func poolKey(id []byte, seq int64) []byte {
	return numKey(pfxPool, id, seq)
}

// stagedKey is the key of the staged block (num, hash).
func stagedKey(id []byte, num int64, hash []byte) []byte {
	return append(numKey(pfxStaged, id, num), hash...)
}

// keyNum reads the big-endian number at k[off:off+8]; ok is false when k
// is too short.
func keyNum(k []byte, off int) (int64, bool) {
	if len(k) < off+8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[off:])), true
}

func metaKey(key string) []byte {
	return append([]byte{pfxMeta}, key...)
}

// streamState is what the commit loop knows of a stream. The first four
// fields are stored under the stream's state key (encode, decodeState) and
// change only when a block is written; the rest is rebuilt from the
// minipool and staging keys when the state is loaded (loadStreamState), so
// an append or a staging writes its own entries and nothing else.
type streamState struct {
	lastNum   int64
	snapNum   int64 // -1: no block carries a snapshot
	poolStart int64 // no minipool entry is numbered below it
	lastHash  []byte

	exists  bool        // false: staging only, for a stream not created
	nextSeq int64       // number of the next minipool entry
	pool    []poolRef   // minipool entries, in number order
	staged  []stagedRef // staged blocks, all numbered above lastNum
}

type poolRef struct {
	seq  int64
	hash []byte
}

type stagedRef struct {
	num  int64
	hash []byte
}

func (s streamState) gen() int64 { return s.lastNum + 1 }

func (s streamState) encode() []byte {
	v := make([]byte, 0, 24+len(s.lastHash))
	v = binary.BigEndian.AppendUint64(v, uint64(s.lastNum))
	v = binary.BigEndian.AppendUint64(v, uint64(s.snapNum))
	v = binary.BigEndian.AppendUint64(v, uint64(s.poolStart))
	return append(v, s.lastHash...)
}

// decodeState reads a stored state. In format 1 the third field was the
// next minipool slot; the migration to format 2 rewrites it.
func decodeState(v []byte) (streamState, error) {
	if len(v) < 24 {
		return streamState{}, fmt.Errorf("store: corrupt stream state of %d bytes", len(v))
	}
	st := streamState{
		lastNum:   int64(binary.BigEndian.Uint64(v)),
		snapNum:   int64(binary.BigEndian.Uint64(v[8:])),
		poolStart: int64(binary.BigEndian.Uint64(v[16:])),
		lastHash:  clone(v[24:]),
		exists:    true,
	}
	if st.lastNum < 0 || st.snapNum < -1 || st.snapNum > st.lastNum || st.poolStart < 0 {
		return streamState{}, fmt.Errorf("store: corrupt stream state (last %d, snapshot %d, pool start %d)", st.lastNum, st.snapNum, st.poolStart)
	}
	return st, nil
}

// encodeBlock encodes a block, and a minipool entry (event hash and
// envelope), as uvarint(len(hash)) hash data.
func encodeBlock(hash, data []byte) []byte {
	v := make([]byte, 0, binary.MaxVarintLen64+len(hash)+len(data))
	v = binary.AppendUvarint(v, uint64(len(hash)))
	v = append(v, hash...)
	return append(v, data...)
}

func decodeBlock(num int64, v []byte) (Miniblock, error) {
	hash, data, ok := decodeHashed(v)
	if !ok {
		return Miniblock{}, fmt.Errorf("store: corrupt block %d", num)
	}
	return Miniblock{Num: num, Hash: clone(hash), Data: clone(data)}, nil
}

// decodeHashed splits what encodeBlock wrote, without copying; ok is false
// when v is not such a value.
func decodeHashed(v []byte) (hash, data []byte, ok bool) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return nil, nil, false
	}
	return v[k : k+int(n)], v[k+int(n):], true
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

// loadStreamState reads a stream's whole state for the commit loop: the
// stored part, the minipool entries from poolStart on (their hashes) and
// the staged blocks above the last block (their keys). txn must not hold
// uncommitted writes of the stream: the commit loop passes its batch's
// read-only transaction, and only for streams the batch has not touched.
// A stream that does not exist gets exists false, last block 0 (staging
// accepts blocks above 0 for it) and no minipool.
func loadStreamState(txn *badger.Txn, id []byte) (streamState, error) {
	st, err := loadState(txn, id)
	switch {
	case errors.Is(err, ErrStreamNotFound):
		st = streamState{snapNum: -1}
	case err != nil:
		return streamState{}, err
	}
	if st.exists {
		if err := scanPool(txn, id, st.poolStart, func(seq int64, v []byte) error {
			hash, _, ok := decodeHashed(v)
			if !ok {
				return fmt.Errorf("store: corrupt minipool entry %d of %x", seq, id)
			}
			st.pool = append(st.pool, poolRef{seq: seq, hash: clone(hash)})
			return nil
		}); err != nil {
			return streamState{}, err
		}
	}
	st.nextSeq = st.poolStart
	if n := len(st.pool); n > 0 {
		st.nextSeq = st.pool[n-1].seq + 1
	}
	err = scanStaged(txn, id, st.lastNum+1, false, func(num int64, hash, _ []byte) (bool, error) {
		st.staged = append(st.staged, stagedRef{num: num, hash: clone(hash)})
		return true, nil
	})
	if err != nil {
		return streamState{}, err
	}
	return st, nil
}

// scanPool calls fn with every minipool entry of the stream numbered from
// on, in order; v is valid only during the call.
func scanPool(txn *badger.Txn, id []byte, from int64, fn func(seq int64, v []byte) error) error {
	o := badger.DefaultIteratorOptions
	o.Prefix = streamKey(pfxPool, id, 0)
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Seek(poolKey(id, from)); it.Valid(); it.Next() {
		k := it.Item().Key()
		seq, ok := keyNum(k, len(o.Prefix))
		if !ok || len(k) != len(o.Prefix)+8 {
			return fmt.Errorf("store: corrupt minipool key %x", k)
		}
		if err := it.Item().Value(func(v []byte) error { return fn(seq, v) }); err != nil {
			return err
		}
	}
	return nil
}

// scanStaged calls fn with the staged blocks of the stream numbered from
// on, by number then hash, until fn returns false. With values, v is the
// encoded entry (valid only during the call); without, v is nil.
func scanStaged(txn *badger.Txn, id []byte, from int64, values bool, fn func(num int64, hash, v []byte) (bool, error)) error {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = values
	o.Prefix = streamKey(pfxStaged, id, 0)
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Seek(numKey(pfxStaged, id, max(from, 0))); it.Valid(); it.Next() {
		k := it.Item().Key()
		num, ok := keyNum(k, len(o.Prefix))
		if !ok || num < 0 {
			return fmt.Errorf("store: corrupt staging key %x", k)
		}
		hash := k[len(o.Prefix)+8:]
		var v []byte
		if values {
			var err error
			if v, err = it.Item().ValueCopy(nil); err != nil {
				return fmt.Errorf("store: read staged block: %w", err)
			}
		}
		more, err := fn(num, hash, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
