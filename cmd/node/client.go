package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/streams"
)

// Settings of the streams the client creates.
const (
	clientReplication   = 1
	clientSnapshotEvery = 100
)

type cli struct {
	api  pbconnect.StreamServiceClient
	key  *ecdsa.PrivateKey
	addr common.Address
}

// defaultClientKey is $XDG_CONFIG_HOME/towns-node/client.key (on Linux
// ~/.config/towns-node/client.key), or ./client.key without a config dir.
func defaultClientKey() string {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "towns-node", "client.key")
	}
	return "client.key"
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	api := fs.String("api", "http://127.0.0.1:7100", "node API URL (or host:port)")
	keyFile := fs.String("key", defaultClientKey(), "user key file, created on first use")
	envUsage(fs, "NODE_CLIENT_", "node client [--api URL] [--key FILE] VERB [flags]")
	if err := parseFlags(fs, args, "NODE_CLIENT_"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("client: missing verb")
	}
	key, _, err := loadOrCreateKey(*keyFile)
	if err != nil {
		return err
	}
	base := strings.TrimRight(*api, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base // host:port, as `node run --api` takes it
	}
	c := &cli{
		api:  pbconnect.NewStreamServiceClient(http.DefaultClient, base),
		key:  key,
		addr: crypto.PubkeyToAddress(key.PublicKey),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	verb, rest := fs.Arg(0), fs.Args()[1:]
	vf := flag.NewFlagSet(verb, flag.ContinueOnError)
	streamFlag := vf.String("stream", "", "stream id (hex)")
	space := vf.String("space", "", "space id (hex)")
	text := vf.String("text", "", "message text")
	asJSON := vf.Bool("json", false, "one JSON object a line")
	if err := parseFlags(vf, rest, "NODE_CLIENT_"); err != nil {
		return err
	}
	needStream := func() (streams.StreamID, error) { return parseID("--stream", *streamFlag) }
	switch verb {
	case "create-space":
		return c.createSpace(ctx)
	case "create-channel":
		sp, err := parseID("--space", *space)
		if err != nil {
			return err
		}
		return c.createChannel(ctx, sp)
	case "join", "leave":
		id, err := needStream()
		if err != nil {
			return err
		}
		op := pb.MembershipOp_MEMBERSHIP_OP_JOIN
		if verb == "leave" {
			op = pb.MembershipOp_MEMBERSHIP_OP_LEAVE
		}
		_, err = c.membership(ctx, id, op)
		return err
	case "post":
		id, err := needStream()
		if err != nil {
			return err
		}
		h, err := c.post(ctx, id, *text)
		if err != nil {
			return err
		}
		fmt.Println(h.Hex())
		return nil
	case "read":
		id, err := needStream()
		if err != nil {
			return err
		}
		return c.read(ctx, id, *asJSON)
	case "miniblocks":
		id, err := needStream()
		if err != nil {
			return err
		}
		return c.miniblocks(ctx, id, *asJSON)
	case "tail":
		id, err := needStream()
		if err != nil {
			return err
		}
		return c.tail(ctx, id)
	}
	return fmt.Errorf("client: unknown verb %q", verb)
}

func parseID(name, s string) (streams.StreamID, error) {
	if s == "" {
		return streams.StreamID{}, fmt.Errorf("%s is required", name)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		return streams.StreamID{}, fmt.Errorf("%s: %w", name, err)
	}
	return streams.StreamIDFromBytes(b)
}

func newID(t pb.StreamType) (streams.StreamID, error) {
	var r [31]byte
	if _, err := rand.Read(r[:]); err != nil {
		return streams.StreamID{}, err
	}
	return streams.NewStreamID(t, r), nil
}

// event builds and signs an event; prev is the last miniblock the client saw
// (nil for genesis events).
func (c *cli) event(id streams.StreamID, prev *pb.MiniblockHeader, prevHash []byte, payload func(*pb.StreamEvent)) (*pb.Envelope, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	ev := &pb.StreamEvent{
		CreatorAddress: c.addr.Bytes(),
		Salt:           salt,
		CreatedAtMs:    time.Now().UnixMilli(),
		StreamId:       id.Bytes(),
	}
	if prev != nil {
		ev.PrevMiniblockHash = prevHash
		ev.PrevMiniblockNum = prev.MiniblockNum
	}
	payload(ev)
	return streams.SignEvent(c.key, ev)
}

func settings() *pb.StreamSettings {
	return &pb.StreamSettings{ReplicationFactor: clientReplication, MinEventsPerSnapshot: clientSnapshotEvery}
}

func join(op pb.MembershipOp, id streams.StreamID, user common.Address) func(*pb.StreamEvent) {
	m := &pb.Membership{Op: op, UserAddress: user.Bytes()}
	return func(ev *pb.StreamEvent) {
		switch id.Type() {
		case pb.StreamType_STREAM_TYPE_SPACE:
			ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: m}}}
		case pb.StreamType_STREAM_TYPE_CHANNEL:
			ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Membership{Membership: m}}}
		case pb.StreamType_STREAM_TYPE_DM:
			ev.Payload = &pb.StreamEvent_DmPayload{DmPayload: &pb.DmPayload{Content: &pb.DmPayload_Membership{Membership: m}}}
		}
	}
}

func (c *cli) createSpace(ctx context.Context) error {
	id, err := newID(pb.StreamType_STREAM_TYPE_SPACE)
	if err != nil {
		return err
	}
	inc, err := c.event(id, nil, nil, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: settings()}}}}
	})
	if err != nil {
		return err
	}
	if err := c.create(ctx, id, inc); err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

func (c *cli) createChannel(ctx context.Context, space streams.StreamID) error {
	id, err := newID(pb.StreamType_STREAM_TYPE_CHANNEL)
	if err != nil {
		return err
	}
	inc, err := c.event(id, nil, nil, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: settings(), SpaceId: space.Bytes()}}}}
	})
	if err != nil {
		return err
	}
	if err := c.create(ctx, id, inc); err != nil {
		return err
	}
	if _, err := c.add(ctx, space, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Channel{
			Channel: &pb.ChannelUpdate{Op: pb.ChannelOp_CHANNEL_OP_CREATED, ChannelId: id.Bytes()}}}}
	}); err != nil {
		return fmt.Errorf("channel %s created, but announcing it in the space failed: %w", id, err)
	}
	fmt.Println(id)
	return nil
}

// create sends the inception and the creator's join.
func (c *cli) create(ctx context.Context, id streams.StreamID, inception *pb.Envelope) error {
	j, err := c.event(id, nil, nil, join(pb.MembershipOp_MEMBERSHIP_OP_JOIN, id, c.addr))
	if err != nil {
		return err
	}
	_, err = c.api.CreateStream(ctx, connect.NewRequest(&pb.CreateStreamRequest{StreamId: id.Bytes(), Events: []*pb.Envelope{inception, j}}))
	return err
}

// head returns the last miniblock header and hash of a stream.
func (c *cli) head(ctx context.Context, id streams.StreamID) (*pb.MiniblockHeader, []byte, error) {
	resp, err := c.api.GetStream(ctx, connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
	if err != nil {
		return nil, nil, err
	}
	mbs := resp.Msg.Miniblocks
	if len(mbs) == 0 {
		return nil, nil, errors.New("stream has no miniblocks")
	}
	last := mbs[len(mbs)-1]
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(last.Header, hdr); err != nil {
		return nil, nil, err
	}
	return hdr, last.Hash, nil
}

// add builds an event on top of the stream's last miniblock and adds it.
func (c *cli) add(ctx context.Context, id streams.StreamID, payload func(*pb.StreamEvent)) (common.Hash, error) {
	hdr, hash, err := c.head(ctx, id)
	if err != nil {
		return common.Hash{}, err
	}
	env, err := c.event(id, hdr, hash, payload)
	if err != nil {
		return common.Hash{}, err
	}
	resp, err := c.api.AddEvent(ctx, connect.NewRequest(&pb.AddEventRequest{StreamId: id.Bytes(), Event: env}))
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(resp.Msg.Hash), nil
}

func (c *cli) membership(ctx context.Context, id streams.StreamID, op pb.MembershipOp) (common.Hash, error) {
	if id.Type() != pb.StreamType_STREAM_TYPE_SPACE && id.Type() != pb.StreamType_STREAM_TYPE_CHANNEL && id.Type() != pb.StreamType_STREAM_TYPE_DM {
		return common.Hash{}, fmt.Errorf("streams of type %s have no members", id.Type())
	}
	return c.add(ctx, id, join(op, id, c.addr))
}

func (c *cli) post(ctx context.Context, id streams.StreamID, text string) (common.Hash, error) {
	msg := &pb.EncryptedData{Ciphertext: []byte(text)}
	return c.add(ctx, id, func(ev *pb.StreamEvent) {
		switch id.Type() {
		case pb.StreamType_STREAM_TYPE_CHANNEL:
			ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{Message: msg}}}
		case pb.StreamType_STREAM_TYPE_DM:
			ev.Payload = &pb.StreamEvent_DmPayload{DmPayload: &pb.DmPayload{Content: &pb.DmPayload_Message{Message: msg}}}
		case pb.StreamType_STREAM_TYPE_USER:
			ev.Payload = &pb.StreamEvent_UserPayload{UserPayload: &pb.UserPayload{Content: &pb.UserPayload_Message{Message: msg}}}
		default:
			ev.Payload = &pb.StreamEvent_SpacePayload{} // rejected by the node: spaces hold no messages
		}
	})
}

// eventLine is one line of `read --json` and `tail`.
type eventLine struct {
	Hash      string `json:"hash"`
	Creator   string `json:"creator"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	Miniblock *int64 `json:"miniblock"`
}

func describe(env *pb.Envelope, block *int64) eventLine {
	l := eventLine{Hash: common.BytesToHash(env.Hash).Hex(), Miniblock: block}
	ev := &pb.StreamEvent{}
	if err := proto.Unmarshal(env.Event, ev); err != nil {
		l.Kind = "undecodable"
		return l
	}
	l.Creator = common.BytesToAddress(ev.CreatorAddress).Hex()
	l.Kind, l.Text = kindOf(ev)
	return l
}

func kindOf(ev *pb.StreamEvent) (string, string) {
	if actors.Inception(ev) != nil {
		return "inception", ""
	}
	var m *pb.Membership
	var msg *pb.EncryptedData
	switch p := ev.Payload.(type) {
	case *pb.StreamEvent_SpacePayload:
		switch c := p.SpacePayload.Content.(type) {
		case *pb.SpacePayload_Membership:
			m = c.Membership
		case *pb.SpacePayload_Channel:
			if c.Channel.Op == pb.ChannelOp_CHANNEL_OP_CREATED {
				return "channel-created", hex.EncodeToString(c.Channel.ChannelId)
			}
			return "channel-updated", hex.EncodeToString(c.Channel.ChannelId)
		case *pb.SpacePayload_Username:
			return "username", string(c.Username.GetCiphertext())
		case *pb.SpacePayload_DisplayName:
			return "display-name", string(c.DisplayName.GetCiphertext())
		}
	case *pb.StreamEvent_ChannelPayload:
		m, msg = p.ChannelPayload.GetMembership(), p.ChannelPayload.GetMessage()
	case *pb.StreamEvent_DmPayload:
		m, msg = p.DmPayload.GetMembership(), p.DmPayload.GetMessage()
	case *pb.StreamEvent_UserPayload:
		msg = p.UserPayload.GetMessage()
	case *pb.StreamEvent_UserSettingsPayload:
		return "setting", p.UserSettingsPayload.GetSetting().GetKey()
	}
	switch {
	case m != nil && m.Op == pb.MembershipOp_MEMBERSHIP_OP_JOIN:
		return "join", ""
	case m != nil:
		return "leave", ""
	case msg != nil:
		if msg.Algorithm != "" {
			return "message", ""
		}
		return "message", string(msg.Ciphertext)
	}
	return "unknown", ""
}

func printEvent(l eventLine, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(l)
		fmt.Println(string(b))
		return
	}
	block := "pending"
	if l.Miniblock != nil {
		block = fmt.Sprint(*l.Miniblock)
	}
	fmt.Printf("%-8s %s %s %-15s %s\n", block, l.Hash, l.Creator, l.Kind, l.Text)
}

// allMiniblocks pages through GetMiniblocks.
func (c *cli) allMiniblocks(ctx context.Context, id streams.StreamID) ([]*pb.Miniblock, error) {
	var out []*pb.Miniblock
	from := int64(0)
	for {
		resp, err := c.api.GetMiniblocks(ctx, connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: id.Bytes(), FromInclusive: from}))
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Msg.Miniblocks...)
		if resp.Msg.Done || resp.Msg.NextFrom <= from {
			return out, nil
		}
		from = resp.Msg.NextFrom
	}
}

func (c *cli) read(ctx context.Context, id streams.StreamID, asJSON bool) error {
	lines, err := c.readLines(ctx, id)
	if err != nil {
		return err
	}
	for _, l := range lines {
		printEvent(l, asJSON)
	}
	return nil
}

// readLines returns the stream's events in order: sealed ones with their
// miniblock, then pending ones.
func (c *cli) readLines(ctx context.Context, id streams.StreamID) ([]eventLine, error) {
	// The minipool first, then the blocks: an event sealed between the two
	// calls is then in both answers (and listed once), never in neither.
	st, err := c.api.GetStream(ctx, connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
	if err != nil {
		return nil, err
	}
	mbs, err := c.allMiniblocks(ctx, id)
	if err != nil {
		return nil, err
	}
	var lines []eventLine
	sealed := map[string]bool{}
	for _, mb := range mbs {
		hdr := &pb.MiniblockHeader{}
		if err := proto.Unmarshal(mb.Header, hdr); err != nil {
			return nil, err
		}
		num := hdr.MiniblockNum
		for _, env := range mb.Events {
			sealed[string(env.Hash)] = true
			lines = append(lines, describe(env, &num))
		}
	}
	for _, env := range st.Msg.Minipool {
		if !sealed[string(env.Hash)] {
			lines = append(lines, describe(env, nil))
		}
	}
	return lines, nil
}

// headerLine is one line of `miniblocks`.
type headerLine struct {
	Num      int64  `json:"num"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
	Leader   string `json:"leader"`
	Events   int    `json:"events"`
	Snapshot bool   `json:"snapshot"`
}

func headerOf(mb *pb.Miniblock) (headerLine, error) {
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(mb.Header, hdr); err != nil {
		return headerLine{}, err
	}
	l := headerLine{
		Num:      hdr.MiniblockNum,
		Hash:     common.BytesToHash(mb.Hash).Hex(),
		Leader:   common.BytesToAddress(hdr.Leader).Hex(),
		Events:   len(hdr.EventHashes),
		Snapshot: len(hdr.SnapshotHash) > 0,
	}
	if len(hdr.PrevMiniblockHash) > 0 {
		l.PrevHash = common.BytesToHash(hdr.PrevMiniblockHash).Hex()
	}
	return l, nil
}

func printHeader(l headerLine, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(l)
		fmt.Println(string(b))
		return
	}
	snap := ""
	if l.Snapshot {
		snap = "snapshot"
	}
	fmt.Printf("%-6d %s prev=%s leader=%s events=%d %s\n", l.Num, l.Hash, l.PrevHash, l.Leader, l.Events, snap)
}

func (c *cli) miniblocks(ctx context.Context, id streams.StreamID, asJSON bool) error {
	mbs, err := c.allMiniblocks(ctx, id)
	if err != nil {
		return err
	}
	for _, mb := range mbs {
		l, err := headerOf(mb)
		if err != nil {
			return err
		}
		printHeader(l, asJSON)
	}
	return nil
}

// tail prints new events (miniblock null) and each applied miniblock's
// header as JSON lines until interrupted.
func (c *cli) tail(ctx context.Context, id streams.StreamID) error {
	s, err := c.api.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{id.Bytes()}}))
	if err != nil {
		return err
	}
	defer s.Close()
	for s.Receive() {
		m := s.Msg()
		switch {
		case m.Event != nil:
			printEvent(describe(m.Event, nil), true)
		case m.Miniblock != nil:
			l, err := headerOf(m.Miniblock)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(struct {
				Miniblock headerLine `json:"miniblock_header"`
			}{l})
			fmt.Println(string(b))
		}
	}
	if err := s.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func errorLine(err error) string {
	var ce *connect.Error
	var se *streams.Error
	switch {
	case errors.As(err, &ce):
		return rpc.ErrorLine(err)
	case errors.As(err, &se):
		return fmt.Sprintf("%s: %s", se.Code, se.Msg)
	}
	return err.Error()
}
