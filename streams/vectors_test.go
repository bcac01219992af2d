package streams

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// The test vectors of docs/vectors/ are built here from fixed keys, fixed
// times and fixed salts (signatures are RFC 6979, so deterministic too).
// TestVectors rebuilds them and requires the checked-in files to be
// byte-identical, then checks every vector read back from the files
// against the parsers and verifiers of this package. After a deliberate
// change to hashed bytes, regenerate with
//
//	go test ./streams/ -run TestVectors -update
var updateVectors = flag.Bool("update", false, "rewrite docs/vectors/*.json from the generator")

const vectorsDir = "../docs/vectors"

// vectorTime is the fixed clock of the vectors.
var vectorTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type hexBytes []byte

func (h hexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

// fields is a message as protojson with the .proto field names, for
// readers; the bytes beside it are what counts. protojson output is
// normalised through encoding/json (it varies its spacing on purpose).
type fields = json.RawMessage

func fieldsOf(t testing.TB, m proto.Message) fields {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return out
}

type keyVector struct {
	Name       string   `json:"name"`
	PrivateKey hexBytes `json:"private_key"`
	PublicKey  hexBytes `json:"public_key"` // uncompressed, 65 bytes
	Address    hexBytes `json:"address"`
}

type eventVector struct {
	Name          string   `json:"name"`
	Fields        fields   `json:"fields"`
	EventBytes    hexBytes `json:"event_bytes"`
	Hash          hexBytes `json:"hash"`
	Signature     hexBytes `json:"signature"`
	Creator       hexBytes `json:"creator"`
	EnvelopeBytes hexBytes `json:"envelope_bytes"`
}

type invalidVector struct {
	Name  string   `json:"name"`
	Why   string   `json:"why"`
	Bytes hexBytes `json:"bytes"`
	Code  string   `json:"code"`
	// Check is where the code comes from: "parse" (ParseEnvelopeBytes,
	// ParseMiniblockBytes, ParseVote), "verify" (VerifyMiniblock on top
	// of the genesis vector, after a successful parse) or "genesis"
	// (NewView of a block that parses, as the genesis of its stream).
	Check string `json:"check"`
}

type eventsFile struct {
	Valid   []eventVector   `json:"valid"`
	Invalid []invalidVector `json:"invalid"`
	// Refused are well-formed envelopes that the admission rules refuse
	// (check "admit": CanAddEvent with DefaultConfig on the stream as of
	// block 1, its minipool empty, at AdmitAtMs).
	AdmitAtMs int64           `json:"admit_at_ms"`
	Refused   []invalidVector `json:"refused"`
}

type voteVector struct {
	Name      string   `json:"name"`
	Fields    fields   `json:"fields"`
	BodyBytes hexBytes `json:"body_bytes"`
	Hash      hexBytes `json:"hash"`
	Signature hexBytes `json:"signature"`
	Voter     hexBytes `json:"voter"`
	VoteBytes hexBytes `json:"vote_bytes"`
}

type votesFile struct {
	Valid []voteVector `json:"valid"`
	// NoVotesHash is the votes hash of a block without votes (the genesis).
	NoVotesHash hexBytes `json:"no_votes_hash"`
	// VotesHash is the votes hash of the valid votes above, in order.
	VotesHash hexBytes        `json:"votes_hash"`
	Invalid   []invalidVector `json:"invalid"`
}

type miniblockVector struct {
	Name         string     `json:"name"`
	HeaderFields fields     `json:"header_fields"`
	HeaderBytes  hexBytes   `json:"header_bytes"`
	Hash         hexBytes   `json:"hash"`
	Signature    hexBytes   `json:"signature"`
	Leader       hexBytes   `json:"leader"`
	EventHashes  []hexBytes `json:"event_hashes"`
	VotesHash    hexBytes   `json:"votes_hash"`
	SnapshotHash hexBytes   `json:"snapshot_hash"`
	BlockBytes   hexBytes   `json:"block_bytes"`
}

type miniblocksFile struct {
	Replicas []hexBytes        `json:"replicas"`
	Valid    []miniblockVector `json:"valid"`
	Invalid  []invalidVector   `json:"invalid"`
	// AlsoValid are variants of block 1 that must be accepted (code OK):
	// they show what is not consensus, such as how a snapshot is encoded.
	AlsoValid []invalidVector `json:"also_valid"`
}

type snapshotVector struct {
	Name          string   `json:"name"`
	MiniblockNum  int64    `json:"miniblock_num"`
	Fields        fields   `json:"fields"`
	SnapshotBytes hexBytes `json:"snapshot_bytes"`
	Hash          hexBytes `json:"hash"`
}

type snapshotsFile struct {
	Valid []snapshotVector `json:"valid"`
}

// vectorSet is everything written to docs/vectors, one field per file.
type vectorSet struct {
	Keys       []keyVector
	Events     eventsFile
	Votes      votesFile
	Miniblocks miniblocksFile
	Snapshots  snapshotsFile
}

func (s *vectorSet) files() map[string]any {
	return map[string]any{
		"keys.json":       s.Keys,
		"events.json":     s.Events,
		"votes.json":      s.Votes,
		"miniblocks.json": s.Miniblocks,
		"snapshots.json":  s.Snapshots,
	}
}

func vectorKey(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("towns vectors/key/" + name)))
	if err != nil {
		panic(err)
	}
	return k
}

func encode(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := marshal.Marshal(m)
	require.NoError(t, err)
	return b
}

// resignHeader edits a block's header, hashes and signs it with key.
func resignHeader(t testing.TB, mb *pb.Miniblock, key *ecdsa.PrivateKey, edit func(*pb.MiniblockHeader)) *pb.Miniblock {
	t.Helper()
	out := proto.Clone(mb).(*pb.Miniblock)
	hdr := &pb.MiniblockHeader{}
	require.NoError(t, proto.Unmarshal(out.Header, hdr))
	edit(hdr)
	out.Header = encode(t, hdr)
	h := MiniblockHash(out.Header)
	out.Hash = h.Bytes()
	sig, err := crypto.Sign(h[:], key)
	require.NoError(t, err)
	out.Signature = sig
	return out
}

func buildVectors(t testing.TB) *vectorSet {
	t.Helper()
	vs := &vectorSet{}
	names := []string{"node0", "node1", "node2", "alice", "bob", "carol"}
	keys := map[string]*ecdsa.PrivateKey{}
	for _, n := range names {
		k := vectorKey(n)
		keys[n] = k
		vs.Keys = append(vs.Keys, keyVector{
			Name:       n,
			PrivateKey: crypto.FromECDSA(k),
			PublicKey:  crypto.FromECDSAPub(&k.PublicKey),
			Address:    crypto.PubkeyToAddress(k.PublicKey).Bytes(),
		})
	}
	addr := func(n string) common.Address { return crypto.PubkeyToAddress(keys[n].PublicKey) }
	replicas := []common.Address{addr("node0"), addr("node1"), addr("node2")}
	keyOf := func(a common.Address) *ecdsa.PrivateKey {
		for _, n := range names {
			if addr(n) == a {
				return keys[n]
			}
		}
		t.Fatalf("no key for %s", a)
		return nil
	}

	var random [31]byte
	copy(random[:], crypto.Keccak256([]byte("towns vectors/space")))
	id := NewStreamID(pb.StreamType_STREAM_TYPE_SPACE, random)
	salt := byte(0)
	sign := func(name, key string, ev *pb.StreamEvent) *ParsedEvent {
		salt++
		ev.StreamId = id.Bytes()
		ev.Salt = []byte{salt}
		ev.CreatedAtMs = vectorTime.UnixMilli()
		env, err := SignEvent(keys[key], ev)
		require.NoError(t, err)
		pe, err := ParseEnvelope(env)
		require.NoError(t, err)
		vs.Events.Valid = append(vs.Events.Valid, eventVector{
			Name: name, Fields: fieldsOf(t, pe.Event), EventBytes: env.Event, Hash: env.Hash,
			Signature: env.Signature, Creator: pe.Creator.Bytes(), EnvelopeBytes: encode(t, env),
		})
		return pe
	}
	space := func(p *pb.SpacePayload) *pb.StreamEvent {
		return &pb.StreamEvent{Payload: &pb.StreamEvent_SpacePayload{SpacePayload: p}}
	}
	member := func(op pb.MembershipOp, who string) *pb.StreamEvent {
		return space(&pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: &pb.Membership{Op: op, UserAddress: addr(who).Bytes()}}})
	}

	// Genesis: alice's inception and join, sealed by node0.
	inception := sign("inception", "alice", space(&pb.SpacePayload{Content: &pb.SpacePayload_Inception{Inception: &pb.Inception{
		StreamId: id.Bytes(), Settings: &pb.StreamSettings{ReplicationFactor: 3, MinEventsPerSnapshot: 2},
	}}}))
	aliceJoin := sign("genesis-join", "alice", member(pb.MembershipOp_MEMBERSHIP_OP_JOIN, "alice"))
	genesis, err := MakeGenesis(keys["node0"], []*ParsedEvent{inception, aliceJoin}, vectorTime)
	require.NoError(t, err)
	view, err := NewView(genesis)
	require.NoError(t, err)
	parent := view

	// Block 1: bob joins, alice sets a username; every replica votes.
	later := func(ev *pb.StreamEvent) *pb.StreamEvent {
		ev.PrevMiniblockHash = genesis.Hash.Bytes()
		ev.PrevMiniblockNum = 0
		return ev
	}
	bobJoin := sign("join", "bob", later(member(pb.MembershipOp_MEMBERSHIP_OP_JOIN, "bob")))
	username := sign("username", "alice", later(space(&pb.SpacePayload{Content: &pb.SpacePayload_Username{Username: &pb.EncryptedData{Ciphertext: []byte("alice, encrypted")}}})))
	cfg := DefaultConfig()
	for _, ev := range []*ParsedEvent{bobJoin, username} {
		require.NoError(t, view.CanAddEvent(cfg, ev, vectorTime))
		view = view.AddEvent(ev)
	}
	var votes []*pb.Vote
	for i, n := range []string{"node0", "node1", "node2"} {
		v, err := view.Vote(keys[n])
		require.NoError(t, err)
		votes = append(votes, v)
		pv, err := ParseVote(v)
		require.NoError(t, err)
		vs.Votes.Valid = append(vs.Votes.Valid, voteVector{
			Name: "vote-" + names[i], Fields: fieldsOf(t, pv.Body), BodyBytes: v.Body, Hash: pv.Hash.Bytes(),
			Signature: v.Signature, Voter: pv.Voter.Bytes(), VoteBytes: encode(t, v),
		})
	}
	randao := crypto.Keccak256Hash([]byte("towns vectors/randao/1"))
	leader := ElectLeader(randao, id, 1, 0, replicas)
	block1, err := view.Propose(cfg, Proposal{
		Key: keyOf(leader), Replicas: replicas, ChainBlock: 100, Randao: randao,
		Now: vectorTime.Add(time.Second), Votes: votes,
	})
	require.NoError(t, err)
	require.Len(t, block1.Events, 2)
	require.NotNil(t, block1.Proto.Snapshot, "min_events_per_snapshot 2: block 1 carries a snapshot")
	require.NoError(t, VerifyMiniblock(parent, cfg, replicas, block1))

	vs.Votes.NoVotesHash = votesHash(nil).Bytes()
	vs.Votes.VotesHash = votesHash(block1.Proto.Votes).Bytes()
	for _, r := range replicas {
		vs.Miniblocks.Replicas = append(vs.Miniblocks.Replicas, r.Bytes())
	}
	for _, mb := range []struct {
		name string
		mb   *ParsedMiniblock
	}{{"genesis", genesis}, {"block-1", block1}} {
		var hashes []hexBytes
		for _, h := range mb.mb.Header.EventHashes {
			hashes = append(hashes, h)
		}
		vs.Miniblocks.Valid = append(vs.Miniblocks.Valid, miniblockVector{
			Name: mb.name, HeaderFields: fieldsOf(t, mb.mb.Header), HeaderBytes: mb.mb.Proto.Header,
			Hash: mb.mb.Hash.Bytes(), Signature: mb.mb.Proto.Signature, Leader: mb.mb.Leader.Bytes(),
			EventHashes: hashes, VotesHash: mb.mb.Header.VotesHash, SnapshotHash: mb.mb.Header.SnapshotHash,
			BlockBytes: encode(t, mb.mb.Proto),
		})
		snap, err := EncodeSnapshot(mb.mb.Snapshot)
		require.NoError(t, err)
		require.Equal(t, snap, mb.mb.Proto.Snapshot, "%s carries this node's encoding of its snapshot", mb.name)
		vs.Snapshots.Valid = append(vs.Snapshots.Valid, snapshotVector{
			Name: mb.name, MiniblockNum: mb.mb.Header.MiniblockNum, Fields: fieldsOf(t, mb.mb.Snapshot),
			SnapshotBytes: mb.mb.Proto.Snapshot, Hash: mb.mb.Header.SnapshotHash,
		})
	}

	vs.Events.Invalid = invalidEnvelopes(t, username, keys, id)
	vs.Events.AdmitAtMs = admitTime.UnixMilli()
	vs.Events.Refused = refusedEvents(t, block1, username, keys, id)
	vs.Votes.Invalid = invalidVotes(t, votes[0], keys)
	vs.Miniblocks.Invalid = invalidBlocks(t, block1, keyOf, replicas)
	vs.Miniblocks.Invalid = append(vs.Miniblocks.Invalid, invalidGenesis(t, genesis, keys)...)
	vs.Miniblocks.AlsoValid = alsoValidBlocks(t, block1, keyOf)
	after, err := parent.ApplyMiniblock(block1)
	require.NoError(t, err)
	// Each invalid vector must get the code it was built for.
	for kind, group := range map[string][]invalidVector{"envelope": vs.Events.Invalid, "vote": vs.Votes.Invalid,
		"miniblock": append(append([]invalidVector{}, vs.Miniblocks.Invalid...), vs.Miniblocks.AlsoValid...), "event": vs.Events.Refused} {
		for _, v := range group {
			require.Equal(t, v.Code, checkInvalid(t, kind, v, parent, after, cfg, replicas).String(), "invalid %s %s", kind, v.Name)
		}
	}
	return vs
}

func invalidEnvelopes(t testing.TB, valid *ParsedEvent, keys map[string]*ecdsa.PrivateKey, id StreamID) []invalidVector {
	var out []invalidVector
	add := func(name, why string, env *pb.Envelope, code pb.ErrorCode) {
		out = append(out, invalidVector{Name: name, Why: why, Bytes: encode(t, env), Code: code.String(), Check: "parse"})
	}
	edit := func(f func(e *pb.Envelope)) *pb.Envelope {
		e := proto.Clone(valid.Envelope).(*pb.Envelope)
		f(e)
		return e
	}
	signed := func(ev *pb.StreamEvent, key *ecdsa.PrivateKey) *pb.Envelope {
		b := encode(t, ev)
		h := EventHash(b)
		sig, err := crypto.Sign(h[:], key)
		require.NoError(t, err)
		return &pb.Envelope{Hash: h.Bytes(), Signature: sig, Event: b}
	}
	add("bad-hash", "hash is not keccak256(prefix || event bytes)", edit(func(e *pb.Envelope) { e.Hash[0] ^= 1 }), pb.ErrorCode_BAD_HASH)
	add("wrong-signer", "signed by bob, creator_address is alice", edit(func(e *pb.Envelope) {
		sig, err := crypto.Sign(e.Hash, keys["bob"])
		require.NoError(t, err)
		e.Signature = sig
	}), pb.ErrorCode_BAD_SIGNATURE)
	add("high-s", "the high-S twin (r, n-s, 1-v) of the valid signature: recovers alice, but is malleable", edit(func(e *pb.Envelope) {
		e.Signature = highS(t, e.Signature)
	}), pb.ErrorCode_BAD_SIGNATURE)
	add("recovery-id-27", "V must be 0 or 1, not Ethereum's legacy 27/28", edit(func(e *pb.Envelope) { e.Signature[64] += 27 }), pb.ErrorCode_BAD_SIGNATURE)
	add("short-signature", "a 64-byte signature without V", edit(func(e *pb.Envelope) { e.Signature = e.Signature[:64] }), pb.ErrorCode_BAD_SIGNATURE)
	add("not-an-event", "event bytes that do not decode as a StreamEvent", func() *pb.Envelope {
		b := []byte{0xff, 0xff, 0xff}
		h := EventHash(b)
		sig, err := crypto.Sign(h[:], keys["alice"])
		require.NoError(t, err)
		return &pb.Envelope{Hash: h.Bytes(), Signature: sig, Event: b}
	}(), pb.ErrorCode_BAD_EVENT)
	noPayload := proto.Clone(valid.Event).(*pb.StreamEvent)
	noPayload.Payload = nil
	add("no-payload", "an event needs a payload", signed(noPayload, keys["alice"]), pb.ErrorCode_BAD_EVENT)
	shortCreator := proto.Clone(valid.Event).(*pb.StreamEvent)
	shortCreator.CreatorAddress = shortCreator.CreatorAddress[:19]
	add("short-creator", "creator_address must be 20 bytes", signed(shortCreator, keys["alice"]), pb.ErrorCode_BAD_EVENT)
	badStream := proto.Clone(valid.Event).(*pb.StreamEvent)
	badStream.StreamId = append([]byte{0x01}, id.Bytes()[1:]...)
	add("unknown-stream-type", "the first byte of stream_id names no stream type", signed(badStream, keys["alice"]), pb.ErrorCode_BAD_STREAM_ID)
	return out
}

func invalidVotes(t testing.TB, valid *pb.Vote, keys map[string]*ecdsa.PrivateKey) []invalidVector {
	var out []invalidVector
	add := func(name, why string, v *pb.Vote) {
		out = append(out, invalidVector{Name: name, Why: why, Bytes: encode(t, v), Code: pb.ErrorCode_BAD_VOTES.String(), Check: "parse"})
	}
	twin := proto.Clone(valid).(*pb.Vote)
	twin.Signature = highS(t, twin.Signature)
	add("high-s", "the high-S twin of node0's vote signature", twin)
	other := proto.Clone(valid).(*pb.Vote)
	sig, err := crypto.Sign(VoteHash(other.Body).Bytes(), keys["node1"])
	require.NoError(t, err)
	other.Signature = sig
	add("wrong-voter", "signed by node1, body.voter is node0", other)
	body := &pb.VoteBody{}
	require.NoError(t, proto.Unmarshal(valid.Body, body))
	body.EventHashes = append(body.EventHashes, body.EventHashes[0])
	dup := &pb.Vote{Body: encode(t, body)}
	sig, err = crypto.Sign(VoteHash(dup.Body).Bytes(), keys["node0"])
	require.NoError(t, err)
	dup.Signature = sig
	add("duplicate-hash", "a vote names an event hash twice", dup)
	return out
}

func invalidBlocks(t testing.TB, valid *ParsedMiniblock, keyOf func(common.Address) *ecdsa.PrivateKey, replicas []common.Address) []invalidVector {
	var out []invalidVector
	add := func(name, why, check string, mb *pb.Miniblock, code pb.ErrorCode) {
		out = append(out, invalidVector{Name: name, Why: why, Bytes: encode(t, mb), Code: code.String(), Check: check})
	}
	edit := func(f func(mb *pb.Miniblock)) *pb.Miniblock {
		mb := proto.Clone(valid.Proto).(*pb.Miniblock)
		f(mb)
		return mb
	}
	leaderKey := keyOf(valid.Leader)
	var other common.Address
	for _, r := range replicas {
		if r != valid.Leader {
			other = r
			break
		}
	}
	add("high-s-header", "the high-S twin of the leader's header signature", "parse",
		edit(func(mb *pb.Miniblock) { mb.Signature = highS(t, mb.Signature) }), pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE)
	add("high-s-event", "an event carried with the high-S twin of its signature (the header, which lists event hashes, is unchanged)", "parse",
		edit(func(mb *pb.Miniblock) { mb.Events[0].Signature = highS(t, mb.Events[0].Signature) }), pb.ErrorCode_BAD_SIGNATURE)
	add("hash-mismatch", "hash is not keccak256(prefix || header bytes)", "parse",
		edit(func(mb *pb.Miniblock) { mb.Hash[0] ^= 1 }), pb.ErrorCode_BAD_MINIBLOCK)
	add("signed-by-another", "the header names the leader but another replica signed it", "parse",
		edit(func(mb *pb.Miniblock) {
			sig, err := crypto.Sign(mb.Hash, keyOf(other))
			require.NoError(t, err)
			mb.Signature = sig
		}), pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE)
	add("votes-dropped", "the body carries fewer votes than the header's votes hash covers", "parse",
		edit(func(mb *pb.Miniblock) { mb.Votes = mb.Votes[:1] }), pb.ErrorCode_BAD_VOTES)
	add("snapshot-tampered", "a byte of the carried snapshot changed: it no longer hashes to the header's snapshot hash", "parse",
		edit(func(mb *pb.Miniblock) { mb.Snapshot[len(mb.Snapshot)-1] ^= 1 }), pb.ErrorCode_BAD_SNAPSHOT)
	add("snapshot-reencoded", "the carried snapshot re-encoded (same message, fields in another order) without re-signing: the hash covers the bytes that travel, so a re-encoding is a different snapshot", "parse",
		edit(func(mb *pb.Miniblock) { mb.Snapshot = reorderedSnapshot(t, valid.Snapshot) }), pb.ErrorCode_BAD_SNAPSHOT)
	wrong := proto.Clone(valid.Snapshot).(*pb.Snapshot)
	wrong.Common.EventCount++
	wrongBytes := encode(t, wrong)
	withWrong := proto.Clone(valid.Proto).(*pb.Miniblock)
	withWrong.Snapshot = wrongBytes
	add("snapshot-wrong-state", "the leader hashed and signed a snapshot whose event_count is not the state recomputed from the parent", "verify",
		resignHeader(t, withWrong, leaderKey, func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(wrongBytes).Bytes() }), pb.ErrorCode_BAD_SNAPSHOT)
	add("not-elected", "a replica other than the elected leader led and signed the block", "verify",
		resignHeader(t, valid.Proto, keyOf(other), func(h *pb.MiniblockHeader) { h.Leader = other.Bytes() }), pb.ErrorCode_BAD_LEADER)
	add("timestamp-not-after-parent", "the block's timestamp equals its parent's", "verify",
		resignHeader(t, valid.Proto, leaderKey, func(h *pb.MiniblockHeader) { h.TimestampMs = vectorTime.UnixMilli() }), pb.ErrorCode_BAD_TIMESTAMP)
	add("wrong-parent", "prev_miniblock_hash is not the genesis hash", "verify",
		resignHeader(t, valid.Proto, leaderKey, func(h *pb.MiniblockHeader) { h.PrevMiniblockHash = crypto.Keccak256([]byte("elsewhere")) }), pb.ErrorCode_BAD_MINIBLOCK_NUM)
	return out
}

// invalidGenesis are genesis blocks, sealed and signed by node0, whose
// events break a genesis rule; NewView refuses them.
func invalidGenesis(t testing.TB, genesis *ParsedMiniblock, keys map[string]*ecdsa.PrivateKey) []invalidVector {
	var out []invalidVector
	withJoin := func(edit func(ev *pb.StreamEvent)) *pb.Miniblock {
		ev := proto.Clone(genesis.Events[1].Event).(*pb.StreamEvent)
		edit(ev)
		env, err := SignEvent(keys["alice"], ev)
		require.NoError(t, err)
		mb := proto.Clone(genesis.Proto).(*pb.Miniblock)
		mb.Events[1] = env
		return resignHeader(t, mb, keys["node0"], func(h *pb.MiniblockHeader) { h.EventHashes[1] = env.Hash })
	}
	out = append(out, invalidVector{Name: "genesis-prev-num",
		Why:   "alice's genesis join names prev_miniblock_num 1: genesis events carry no previous miniblock (empty hash, number 0)",
		Bytes: encode(t, withJoin(func(ev *pb.StreamEvent) { ev.PrevMiniblockNum = 1 })), Code: pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH.String(), Check: "genesis"})
	out = append(out, invalidVector{Name: "genesis-prev-hash",
		Why:   "alice's genesis join names a previous miniblock hash",
		Bytes: encode(t, withJoin(func(ev *pb.StreamEvent) { ev.PrevMiniblockHash = crypto.Keccak256([]byte("before")) })), Code: pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH.String(), Check: "genesis"})
	return out
}

// admitTime is the clock of the "admit" vectors: a second after block 1.
var admitTime = vectorTime.Add(2 * time.Second)

// refusedEvents are well-formed, correctly signed envelopes that the
// admission rules refuse on the stream as of block 1.
func refusedEvents(t testing.TB, block1 *ParsedMiniblock, sealed *ParsedEvent, keys map[string]*ecdsa.PrivateKey, id StreamID) []invalidVector {
	var out []invalidVector
	salt := byte(100)
	addr := func(n string) common.Address { return crypto.PubkeyToAddress(keys[n].PublicKey) }
	space := func(p *pb.SpacePayload) func(*pb.StreamEvent) {
		return func(ev *pb.StreamEvent) { ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: p} }
	}
	add := func(name, why, key string, code pb.ErrorCode, edits ...func(*pb.StreamEvent)) {
		salt++
		ev := &pb.StreamEvent{StreamId: id.Bytes(), Salt: []byte{salt}, CreatedAtMs: admitTime.UnixMilli(),
			PrevMiniblockHash: block1.Hash.Bytes(), PrevMiniblockNum: 1}
		for _, e := range edits {
			e(ev)
		}
		env, err := SignEvent(keys[key], ev)
		require.NoError(t, err)
		out = append(out, invalidVector{Name: name, Why: why, Bytes: encode(t, env), Code: code.String(), Check: "admit"})
	}
	member := func(op pb.MembershipOp, who string) func(*pb.StreamEvent) {
		return space(&pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: &pb.Membership{Op: op, UserAddress: addr(who).Bytes()}}})
	}
	name := space(&pb.SpacePayload{Content: &pb.SpacePayload_Username{Username: &pb.EncryptedData{Ciphertext: []byte("name")}}})
	var channel [31]byte
	copy(channel[:], crypto.Keccak256([]byte("towns vectors/channel")))
	chID := NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, channel)

	add("post-by-non-member", "carol, not a member, sets a username", "carol", pb.ErrorCode_PERMISSION_DENIED, name)
	add("join-of-member", "bob joins again: he is a member since block 1", "bob", pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, member(pb.MembershipOp_MEMBERSHIP_OP_JOIN, "bob"))
	add("leave-for-another", "alice posts bob's leave: nobody changes another user's membership", "alice", pb.ErrorCode_PERMISSION_DENIED, member(pb.MembershipOp_MEMBERSHIP_OP_LEAVE, "bob"))
	add("reference-mismatch", "prev_miniblock_num 1 with the genesis hash: the number and hash must name the same block", "alice", pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, name,
		func(ev *pb.StreamEvent) { ev.PrevMiniblockHash = block1.Header.PrevMiniblockHash })
	add("no-reference", "a later event without prev_miniblock_hash", "alice", pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, name,
		func(ev *pb.StreamEvent) { ev.PrevMiniblockHash, ev.PrevMiniblockNum = nil, 0 })
	add("future-reference", "prev_miniblock_num 2, a block that does not exist yet", "alice", pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, name,
		func(ev *pb.StreamEvent) { ev.PrevMiniblockNum = 2 })
	add("other-stream", "stream_id names another space", "alice", pb.ErrorCode_BAD_STREAM_ID, name,
		func(ev *pb.StreamEvent) { ev.StreamId = NewStreamID(pb.StreamType_STREAM_TYPE_SPACE, channel).Bytes() })
	add("misfit-payload", "a channel message in a space stream", "alice", pb.ErrorCode_BAD_PAYLOAD,
		func(ev *pb.StreamEvent) {
			ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{Message: &pb.EncryptedData{Ciphertext: []byte("hi")}}}}
		})
	add("clock-ahead", "created_at_ms 11 minutes after the admission clock (skew is 10 minutes)", "alice", pb.ErrorCode_EVENT_TOO_OLD, name,
		func(ev *pb.StreamEvent) { ev.CreatedAtMs = admitTime.Add(11 * time.Minute).UnixMilli() })
	add("update-unknown-channel", "ChannelUpdate{UPDATED} for a channel the space does not list", "alice", pb.ErrorCode_NOT_FOUND,
		space(&pb.SpacePayload{Content: &pb.SpacePayload_Channel{Channel: &pb.ChannelUpdate{Op: pb.ChannelOp_CHANNEL_OP_UPDATED, ChannelId: chID.Bytes()}}}))
	add("channel-by-non-member", "carol, not a space member, posts ChannelUpdate{CREATED}", "carol", pb.ErrorCode_PERMISSION_DENIED,
		space(&pb.SpacePayload{Content: &pb.SpacePayload_Channel{Channel: &pb.ChannelUpdate{Op: pb.ChannelOp_CHANNEL_OP_CREATED, ChannelId: chID.Bytes()}}}))
	add("bad-channel-id", "ChannelUpdate{CREATED} whose channel_id is a space id", "alice", pb.ErrorCode_BAD_PAYLOAD,
		space(&pb.SpacePayload{Content: &pb.SpacePayload_Channel{Channel: &pb.ChannelUpdate{Op: pb.ChannelOp_CHANNEL_OP_CREATED, ChannelId: id.Bytes()}}}))
	add("second-inception", "an inception after the genesis", "alice", pb.ErrorCode_BAD_INCEPTION,
		space(&pb.SpacePayload{Content: &pb.SpacePayload_Inception{Inception: &pb.Inception{StreamId: id.Bytes(), Settings: &pb.StreamSettings{ReplicationFactor: 3, MinEventsPerSnapshot: 2}}}}))
	out = append(out, invalidVector{Name: "duplicate", Why: "alice's username envelope of block 1, posted again", Bytes: encode(t, sealed.Envelope),
		Code: pb.ErrorCode_DUPLICATE_EVENT.String(), Check: "admit"})
	return out
}

// alsoValidBlocks are variants of block 1 that a verifier must accept.
func alsoValidBlocks(t testing.TB, valid *ParsedMiniblock, keyOf func(common.Address) *ecdsa.PrivateKey) []invalidVector {
	other := reorderedSnapshot(t, valid.Snapshot)
	require.NotEqual(t, valid.Proto.Snapshot, other)
	mb := proto.Clone(valid.Proto).(*pb.Miniblock)
	mb.Snapshot = other
	mb = resignHeader(t, mb, keyOf(valid.Leader), func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(other).Bytes() })
	return []invalidVector{{
		Name: "snapshot-other-encoding",
		Why: "block 1 whose leader encoded the snapshot with its fields in another order (per-type content before common) and hashed those bytes: " +
			"the content equals the recomputed state, so it is valid; the encoding is not consensus",
		Bytes: encode(t, mb), Code: pb.ErrorCode_OK.String(), Check: "verify",
	}}
}

// checkInvalid runs an invalid vector of kind (envelope, vote, miniblock,
// event: admission on after, the stream as of block 1)
// through the check it names and returns the code it got (OK if accepted).
func checkInvalid(t testing.TB, kind string, v invalidVector, parent, after *View, cfg Config, replicas []common.Address) pb.ErrorCode {
	t.Helper()
	var err error
	switch {
	case kind == "event" && v.Check == "admit":
		pe, perr := ParseEnvelopeBytes(v.Bytes)
		require.NoError(t, perr, "vector %s must parse", v.Name)
		err = after.CanAddEvent(cfg, pe, admitTime)
	case kind == "envelope" && v.Check == "parse":
		_, err = ParseEnvelopeBytes(v.Bytes)
	case kind == "vote" && v.Check == "parse":
		vote := &pb.Vote{}
		require.NoError(t, proto.Unmarshal(v.Bytes, vote))
		_, err = ParseVote(vote)
	case kind == "miniblock" && v.Check == "parse":
		_, err = ParseMiniblockBytes(v.Bytes)
	case kind == "miniblock" && v.Check == "genesis":
		mb, perr := ParseMiniblockBytes(v.Bytes)
		require.NoError(t, perr, "vector %s must parse", v.Name)
		_, err = NewView(mb)
	case kind == "miniblock" && v.Check == "verify":
		mb, perr := ParseMiniblockBytes(v.Bytes)
		require.NoError(t, perr, "vector %s must parse", v.Name)
		err = VerifyMiniblock(parent, cfg, replicas, mb)
	default:
		t.Fatalf("%s vector %s: unknown check %q", kind, v.Name, v.Check)
	}
	if err == nil {
		return pb.ErrorCode_OK
	}
	return CodeOf(err)
}

func marshalVectorFile(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestVectors rebuilds docs/vectors and requires the files to match byte
// for byte (-update rewrites them), then checks every vector as read from
// the files: valid ones parse, verify and hash to what they state, invalid
// ones get their code.
func TestVectors(t *testing.T) {
	vs := buildVectors(t)
	for name, content := range vs.files() {
		got := marshalVectorFile(t, content)
		path := filepath.Join(vectorsDir, name)
		if *updateVectors {
			require.NoError(t, os.MkdirAll(vectorsDir, 0o755))
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "missing vectors: go test ./streams/ -run TestVectors -update")
		if !bytes.Equal(want, got) {
			wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
			for i := 0; i < len(wl) && i < len(gl); i++ {
				if !bytes.Equal(wl[i], gl[i]) {
					t.Fatalf("%s differs from what this build produces, line %d:\n file: %s\n want: %s\n(after a deliberate change: go test ./streams/ -run TestVectors -update)", path, i+1, wl[i], gl[i])
				}
			}
			t.Fatalf("%s differs from what this build produces in length", path)
		}
	}
	checkVectorFiles(t)
}

func readVectorFile(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// checkVectorFiles checks the vectors as a client in another language
// would: from the files alone, with the hash formulas written out here.
func checkVectorFiles(t *testing.T) {
	keccak := func(prefix string, parts ...[]byte) []byte {
		return crypto.Keccak256(append([][]byte{[]byte(prefix)}, parts...)...)
	}
	var keys []keyVector
	readVectorFile(t, "keys.json", &keys)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		priv, err := crypto.ToECDSA(k.PrivateKey)
		require.NoError(t, err, k.Name)
		require.Equal(t, []byte(k.PublicKey), crypto.FromECDSAPub(&priv.PublicKey), k.Name)
		require.Equal(t, []byte(k.Address), crypto.Keccak256(k.PublicKey[1:])[12:], "%s: address = last 20 bytes of keccak256(public key without 0x04)", k.Name)
	}

	var events eventsFile
	readVectorFile(t, "events.json", &events)
	require.NotEmpty(t, events.Valid)
	for _, v := range events.Valid {
		require.Equal(t, []byte(v.Hash), keccak("TOWNS/EVENT/v1", v.EventBytes), v.Name)
		pe, err := ParseEnvelopeBytes(v.EnvelopeBytes)
		require.NoError(t, err, v.Name)
		require.Equal(t, []byte(v.EventBytes), pe.Envelope.Event, v.Name)
		require.Equal(t, []byte(v.Signature), pe.Envelope.Signature, v.Name)
		require.Equal(t, []byte(v.Creator), pe.Creator.Bytes(), v.Name)
		fromFields := &pb.StreamEvent{}
		require.NoError(t, protojson.Unmarshal(v.Fields, fromFields), v.Name)
		require.True(t, proto.Equal(fromFields, pe.Event), "%s: fields describe the event bytes", v.Name)
	}

	var votes votesFile
	readVectorFile(t, "votes.json", &votes)
	require.NotEmpty(t, votes.Valid)
	var pvotes []*pb.Vote
	for _, v := range votes.Valid {
		require.Equal(t, []byte(v.Hash), keccak("TOWNS/VOTE/v1", v.BodyBytes), v.Name)
		vote := &pb.Vote{}
		require.NoError(t, proto.Unmarshal(v.VoteBytes, vote), v.Name)
		pv, err := ParseVote(vote)
		require.NoError(t, err, v.Name)
		require.Equal(t, []byte(v.Voter), pv.Voter.Bytes(), v.Name)
		require.Equal(t, []byte(v.Signature), vote.Signature, v.Name)
		pvotes = append(pvotes, vote)
	}
	require.Equal(t, []byte(votes.NoVotesHash), keccak("TOWNS/VOTES/v1"), "no votes: keccak256 of the prefix alone")
	var parts [][]byte
	for _, v := range votes.Valid {
		parts = append(parts, v.Hash, v.Signature)
	}
	require.Equal(t, []byte(votes.VotesHash), keccak("TOWNS/VOTES/v1", parts...))

	var snaps snapshotsFile
	readVectorFile(t, "snapshots.json", &snaps)
	require.NotEmpty(t, snaps.Valid)
	for _, v := range snaps.Valid {
		require.Equal(t, []byte(v.Hash), keccak("TOWNS/SNAPSHOT/v1", v.SnapshotBytes), v.Name)
		s := &pb.Snapshot{}
		require.NoError(t, proto.Unmarshal(v.SnapshotBytes, s), v.Name)
		fromFields := &pb.Snapshot{}
		require.NoError(t, protojson.Unmarshal(v.Fields, fromFields), v.Name)
		require.True(t, proto.Equal(fromFields, s), "%s: fields describe the snapshot bytes", v.Name)
		// Not something a client must do: this pins this node's own
		// encoding, so a change of marshaller shows up here.
		again, err := EncodeSnapshot(s)
		require.NoError(t, err)
		require.Equal(t, []byte(v.SnapshotBytes), again, "%s: this node encodes the snapshot to these bytes", v.Name)
		require.Equal(t, v.MiniblockNum, s.GetCommon().GetMiniblockNum(), v.Name)
	}

	var blocks miniblocksFile
	readVectorFile(t, "miniblocks.json", &blocks)
	require.Len(t, blocks.Valid, 2)
	var replicas []common.Address
	for _, r := range blocks.Replicas {
		replicas = append(replicas, common.BytesToAddress(r))
	}
	parsed := make([]*ParsedMiniblock, len(blocks.Valid))
	for i, v := range blocks.Valid {
		require.Equal(t, []byte(v.Hash), keccak("TOWNS/MINIBLOCK/v1", v.HeaderBytes), v.Name)
		mb, err := ParseMiniblockBytes(v.BlockBytes)
		require.NoError(t, err, v.Name)
		require.Equal(t, []byte(v.HeaderBytes), mb.Proto.Header, v.Name)
		require.Equal(t, []byte(v.Signature), mb.Proto.Signature, v.Name)
		require.Equal(t, []byte(v.Leader), mb.Leader.Bytes(), v.Name)
		require.Equal(t, []byte(v.VotesHash), mb.Header.VotesHash, v.Name)
		require.Equal(t, []byte(v.SnapshotHash), mb.Header.SnapshotHash, v.Name)
		require.Len(t, mb.Header.EventHashes, len(v.EventHashes), v.Name)
		for j, h := range v.EventHashes {
			require.Equal(t, []byte(h), mb.Header.EventHashes[j], v.Name)
		}
		require.Equal(t, []byte(snaps.Valid[i].SnapshotBytes), mb.Proto.Snapshot, "%s carries the bytes of snapshot %s", v.Name, snaps.Valid[i].Name)
		require.Equal(t, []byte(snaps.Valid[i].Hash), keccak("TOWNS/SNAPSHOT/v1", mb.Proto.Snapshot), "%s: header snapshot hash over the carried bytes", v.Name)
		parsed[i] = mb
	}
	genesis, block1 := parsed[0], parsed[1]
	require.Equal(t, []byte(votes.NoVotesHash), genesis.Header.VotesHash)
	require.Equal(t, []byte(votes.VotesHash), block1.Header.VotesHash)
	require.Len(t, block1.Proto.Votes, len(pvotes))
	for i := range pvotes {
		require.True(t, proto.Equal(pvotes[i], block1.Proto.Votes[i]), "block 1 carries vote %d", i)
	}
	parent, err := NewView(genesis)
	require.NoError(t, err)
	cfg := DefaultConfig()
	require.NoError(t, VerifyMiniblock(parent, cfg, replicas, block1))
	after, err := parent.ApplyMiniblock(block1)
	if err != nil {
		t.Fatalf("block 1 applies on the genesis: %v", err)
	}
	require.Equal(t, admitTime.UnixMilli(), events.AdmitAtMs)

	require.NotEmpty(t, blocks.AlsoValid)
	for _, v := range blocks.AlsoValid {
		require.Equal(t, pb.ErrorCode_OK.String(), v.Code, v.Name)
	}
	for kind, group := range map[string][]invalidVector{"envelope": events.Invalid, "vote": votes.Invalid,
		"miniblock": append(append([]invalidVector{}, blocks.Invalid...), blocks.AlsoValid...), "event": events.Refused} {
		require.NotEmpty(t, group, kind)
		for _, v := range group {
			_, known := pb.ErrorCode_value[v.Code]
			require.True(t, known, "%s %s: code %q", kind, v.Name, v.Code)
			require.Equal(t, v.Code, checkInvalid(t, kind, v, parent, after, cfg, replicas).String(), "invalid %s %s: %s", kind, v.Name, v.Why)
		}
	}
}
