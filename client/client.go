package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/streams"
)

// Settings of the streams the client creates. Replication is the default
// replication factor, capped at the active registered nodes the node
// reports (GetNetworkInfo): 3 on a network of three nodes or more, every
// node on a smaller one.
const (
	Replication   = 3
	SnapshotEvery = 100
)

// MaxEventBytes is the limit the client checks a signed event against before
// it sends it: the node's admission limit (streams.Config.MaxEventBytes).
const MaxEventBytes = streams.DefaultMaxEventBytes

// Client is one user talking to one node.
type Client struct {
	api  pbconnect.StreamServiceClient
	node pbconnect.NodeServiceClient
	key  *ecdsa.PrivateKey
	addr common.Address
	base string
	now  func() time.Time
	// keyFile is where key came from, for whoami.
	keyFile string
	// Replicas is the replication factor of the streams the client
	// creates (0: Replication, or the active registered nodes when fewer).
	Replicas uint32
}

// New returns a client of the node at api ("http://host:port" or
// "host:port") acting as key.
func New(api string, key *ecdsa.PrivateKey) *Client {
	base := BaseURL(api)
	return &Client{
		api:  pbconnect.NewStreamServiceClient(http.DefaultClient, base),
		node: newNodeClient(base),
		key:  key,
		addr: crypto.PubkeyToAddress(key.PublicKey),
		base: base,
		now:  time.Now,
	}
}

func newNodeClient(base string) pbconnect.NodeServiceClient {
	return pbconnect.NewNodeServiceClient(http.DefaultClient, base)
}

// BaseURL turns host:port (as `node run --api` takes it) into a URL.
func BaseURL(api string) string {
	base := strings.TrimRight(api, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return base
}

// Address is the user's address.
func (c *Client) Address() common.Address { return c.addr }

// NewID makes a random stream id of type t.
func NewID(t pb.StreamType) (streams.StreamID, error) {
	var r [31]byte
	if _, err := rand.Read(r[:]); err != nil {
		return streams.StreamID{}, err
	}
	return streams.NewStreamID(t, r), nil
}

// event builds and signs an event; prev is the last miniblock the client saw
// (nil for genesis events).
func (c *Client) event(id streams.StreamID, prev *pb.MiniblockHeader, prevHash []byte, payload func(*pb.StreamEvent)) (*pb.Envelope, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	ev := &pb.StreamEvent{
		CreatorAddress: c.addr.Bytes(),
		Salt:           salt,
		CreatedAtMs:    c.now().UnixMilli(),
		StreamId:       id.Bytes(),
	}
	if prev != nil {
		ev.PrevMiniblockHash = prevHash
		ev.PrevMiniblockNum = prev.MiniblockNum
	}
	payload(ev)
	return streams.SignEvent(c.key, ev)
}

func (c *Client) settings(ctx context.Context) (*pb.StreamSettings, error) {
	rf := c.Replicas
	if rf == 0 {
		var err error
		if rf, err = c.DefaultReplicas(ctx); err != nil {
			return nil, err
		}
	}
	return &pb.StreamSettings{ReplicationFactor: rf, MinEventsPerSnapshot: SnapshotEvery}, nil
}

// DefaultReplicas is the replication factor of a stream created without
// one: Replication, or the network's active registered nodes when fewer
// (as the node reports them; 1 for a node without a network).
func (c *Client) DefaultReplicas(ctx context.Context) (uint32, error) {
	r, err := c.api.GetNetworkInfo(ctx, connect.NewRequest(&pb.GetNetworkInfoRequest{}))
	if err != nil {
		return 0, fmt.Errorf("network info: %w", err)
	}
	return max(1, min(Replication, r.Msg.MaxReplicationFactor)), nil
}

func membership(op pb.MembershipOp, id streams.StreamID, user common.Address) func(*pb.StreamEvent) {
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

// CreateSpace creates a space with the user as its first member.
func (c *Client) CreateSpace(ctx context.Context) (streams.StreamID, error) {
	id, err := NewID(pb.StreamType_STREAM_TYPE_SPACE)
	if err != nil {
		return id, err
	}
	settings, err := c.settings(ctx)
	if err != nil {
		return id, err
	}
	inc, err := c.event(id, nil, nil, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: settings}}}}
	})
	if err != nil {
		return id, err
	}
	return id, c.create(ctx, id, inc)
}

// CreateChannel creates a channel in space and announces it there.
func (c *Client) CreateChannel(ctx context.Context, space streams.StreamID) (streams.StreamID, error) {
	if space.Type() != pb.StreamType_STREAM_TYPE_SPACE {
		return streams.StreamID{}, usagef("--space %s is a %s stream, not a space", FormatID(space), streamKind(space))
	}
	id, err := NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
	if err != nil {
		return id, err
	}
	settings, err := c.settings(ctx)
	if err != nil {
		return id, err
	}
	inc, err := c.event(id, nil, nil, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: settings, SpaceId: space.Bytes()}}}}
	})
	if err != nil {
		return id, err
	}
	if err := c.create(ctx, id, inc); err != nil {
		return id, err
	}
	if _, err := c.add(ctx, space, func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Channel{
			Channel: &pb.ChannelUpdate{Op: pb.ChannelOp_CHANNEL_OP_CREATED, ChannelId: id.Bytes()}}}}
	}, 0); err != nil {
		return id, fmt.Errorf("channel %s created, but announcing it in the space failed: %w", FormatID(id), err)
	}
	return id, nil
}

// create sends the inception and the creator's join.
func (c *Client) create(ctx context.Context, id streams.StreamID, inception *pb.Envelope) error {
	j, err := c.event(id, nil, nil, membership(pb.MembershipOp_MEMBERSHIP_OP_JOIN, id, c.addr))
	if err != nil {
		return err
	}
	_, err = c.api.CreateStream(ctx, connect.NewRequest(&pb.CreateStreamRequest{StreamId: id.Bytes(), Events: []*pb.Envelope{inception, j}}))
	return err
}

// head returns the last miniblock header and hash of a stream.
func (c *Client) head(ctx context.Context, id streams.StreamID) (*pb.MiniblockHeader, []byte, error) {
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
// textLen is the length of a message's text, for the error of an event too
// large (0 for other events).
func (c *Client) add(ctx context.Context, id streams.StreamID, payload func(*pb.StreamEvent), textLen int) (common.Hash, error) {
	hdr, hash, err := c.head(ctx, id)
	if err != nil {
		return common.Hash{}, err
	}
	env, err := c.event(id, hdr, hash, payload)
	if err != nil {
		return common.Hash{}, err
	}
	if n := len(env.Event); n > MaxEventBytes {
		if textLen > 0 {
			return common.Hash{}, usagef("post: the text is %d bytes, %d once signed; the node takes events of up to %d bytes, so at most %d bytes of text fit",
				textLen, n, MaxEventBytes, MaxEventBytes-(n-textLen))
		}
		return common.Hash{}, usagef("the event is %d bytes once signed; the node takes events of up to %d bytes", n, MaxEventBytes)
	}
	resp, err := c.api.AddEvent(ctx, connect.NewRequest(&pb.AddEventRequest{StreamId: id.Bytes(), Event: env}))
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(resp.Msg.Hash), nil
}

// Membership joins or leaves a space, channel or DM.
func (c *Client) Membership(ctx context.Context, id streams.StreamID, op pb.MembershipOp) (common.Hash, error) {
	if !streams.Fits(id.Type(), streams.KindMembership) {
		return common.Hash{}, usagef("%s is a %s stream, which has no members: %s", FormatID(id), streamKind(id), streams.FitsIn(id.Type()))
	}
	return c.add(ctx, id, membership(op, id, c.addr), 0)
}

func messagePayload(id streams.StreamID, text []byte) func(*pb.StreamEvent) {
	msg := &pb.EncryptedData{Ciphertext: text}
	return func(ev *pb.StreamEvent) {
		switch id.Type() {
		case pb.StreamType_STREAM_TYPE_CHANNEL:
			ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{Message: msg}}}
		case pb.StreamType_STREAM_TYPE_DM:
			ev.Payload = &pb.StreamEvent_DmPayload{DmPayload: &pb.DmPayload{Content: &pb.DmPayload_Message{Message: msg}}}
		case pb.StreamType_STREAM_TYPE_USER:
			ev.Payload = &pb.StreamEvent_UserPayload{UserPayload: &pb.UserPayload{Content: &pb.UserPayload_Message{Message: msg}}}
		}
	}
}

// Post adds a message with text to a channel, DM or user stream. An empty
// or blank text, a signed event over MaxEventBytes and a stream that takes no
// messages are refused before anything is sent.
func (c *Client) Post(ctx context.Context, id streams.StreamID, text string) (common.Hash, error) {
	if strings.TrimSpace(text) == "" {
		return common.Hash{}, usagef("post: the text is empty; give it with --text, as an argument, with --file FILE or on stdin (-)")
	}
	if !streams.Fits(id.Type(), streams.KindMessage) {
		return common.Hash{}, usagef("%s is a %s stream, which holds no messages: %s; post to a channel, DM or user stream",
			FormatID(id), streamKind(id), streams.FitsIn(id.Type()))
	}
	return c.add(ctx, id, messagePayload(id, []byte(text)), len(text))
}

// Status asks the node what it is doing.
func (c *Client) Status(ctx context.Context) (*pb.StatusResponse, error) {
	resp, err := c.node.Status(ctx, connect.NewRequest(&pb.StatusRequest{}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// AddEvents sends events (each an AddEventRequest: stream and envelope,
// any streams) in one AddEvents call and returns one result per event, in
// order; ResultError reads each. The error is the call's own (transport,
// or a batch over the node's max_batch_events or size).
func (c *Client) AddEvents(ctx context.Context, events []*pb.AddEventRequest) ([]*pb.AddEventResult, error) {
	resp, err := c.api.AddEvents(ctx, connect.NewRequest(&pb.AddEventsRequest{Events: events}))
	if err != nil {
		return nil, err
	}
	if len(resp.Msg.Results) != len(events) {
		return nil, fmt.Errorf("AddEvents: %d results for %d events", len(resp.Msg.Results), len(events))
	}
	return resp.Msg.Results, nil
}

// ResultError is the error of one AddEvents result, nil when the event was
// added; ErrorCode and ErrorLine read its code and message.
func ResultError(r *pb.AddEventResult) error {
	if r.GetError() == nil {
		return nil
	}
	return streams.Errorf(r.Error.Code, "%s", r.Error.Message)
}
