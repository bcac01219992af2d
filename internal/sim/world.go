package sim

import (
	"crypto/ecdsa"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Keys are derived once per process (a key costs a scalar multiplication)
// and shared by every seed: a seed only picks which ones play.
const (
	maxNodes = 5
	numUsers = 6
)

var (
	keysOnce  sync.Once
	nodeKeys  []*ecdsa.PrivateKey
	userKeys  []*ecdsa.PrivateKey
	userAddrs []common.Address
)

func loadKeys() {
	keysOnce.Do(func() {
		mk := func(name string) *ecdsa.PrivateKey {
			k, err := crypto.ToECDSA(crypto.Keccak256([]byte("towns-sim-key/" + name)))
			if err != nil {
				panic(err)
			}
			return k
		}
		for i := range maxNodes + 3 {
			nodeKeys = append(nodeKeys, mk("node"+string(rune('a'+i))))
		}
		for i := range numUsers {
			k := mk("user" + string(rune('a'+i)))
			userKeys = append(userKeys, k)
			userAddrs = append(userAddrs, crypto.PubkeyToAddress(k.PublicKey))
		}
	})
}

// replicaConfig is the machine's config in the simulator: the node's
// defaults scaled to a 1 s chain block.
func (s *Sim) replicaConfig(key *ecdsa.PrivateKey) streams.ReplicaConfig {
	cfg := streams.DefaultReplicaConfig()
	cfg.Key = key
	cfg.AckTimeout = 3 * time.Second
	cfg.FetchDelay = 100 * time.Millisecond
	cfg.FetchTimeout = 800 * time.Millisecond
	cfg.BlockDelay = 300 * time.Millisecond
	cfg.VoteTimeout = 800 * time.Millisecond
	cfg.VoteGrace = 30 * time.Millisecond
	cfg.VoteAt = 0.3
	cfg.LeaderTimeout = 8 * time.Second
	cfg.RoundBlocks = roundBlocks
	cfg.Streams.RecencyWindow = s.sc.window
	cfg.MaxWriteBatch = s.sc.batch
	if s.cfg.Broken != "" {
		Rules[s.cfg.Broken](&cfg)
	}
	return cfg
}

const (
	roundBlocks = 4
	blockTime   = time.Second
)

func (s *Sim) draw() scenario {
	r := s.rng
	sc := scenario{nodes: 3 + r.IntN(3), k: 3}
	if !s.cfg.NoNetFaults {
		sc.loss = []float64{0, 0.01, 0.05, 0.15}[r.IntN(4)]
		sc.dup = []float64{0, 0.02, 0.1}[r.IntN(3)]
		sc.slow = []float64{0, 0.05, 0.2}[r.IntN(3)]
		sc.partitions = r.IntN(3) > 0
	}
	sc.storeErr = []float64{0, 0, 0.01, 0.03}[r.IntN(4)]
	sc.crashes = !s.cfg.NoCrashes && r.IntN(4) > 0
	if !s.cfg.NoByzantine && r.IntN(3) == 0 {
		sc.byz = byzMode(1 + r.IntN(int(byzAll)))
	}
	sc.minEvents = uint32(2 + r.IntN(8))
	sc.window = []int64{3, 6, 16, 64}[r.IntN(4)]
	sc.batch = []int{1, 3, 2048}[r.IntN(3)]
	sc.loadFor = time.Duration(8+r.IntN(25)) * time.Second
	sc.postEvery = time.Duration(50+r.IntN(250)) * time.Millisecond
	return sc
}

// setup draws the scenario, creates the stream on its replicas' stores at
// chain block 1 and starts every node.
func (s *Sim) setup() {
	loadKeys()
	s.sc = s.draw()
	sc := s.sc
	var raw [31]byte
	copy(raw[:], crypto.Keccak256([]byte("sim-stream")))
	s.id = streams.NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, raw)

	// Replicas: k of the nodes, picked by the seed, in chain order.
	perm := s.rng.Perm(sc.nodes)
	isReplica := map[int]bool{}
	for _, i := range perm[:sc.k] {
		isReplica[i] = true
	}
	for i := range sc.nodes {
		if isReplica[i] {
			s.replicas = append(s.replicas, crypto.PubkeyToAddress(nodeKeys[i].PublicKey))
		}
	}

	creator := userKeys[0]
	mk := func(payload *pb.ChannelPayload) *streams.ParsedEvent {
		ev := &pb.StreamEvent{StreamId: s.id.Bytes(), CreatedAtMs: s.now.UnixMilli(),
			Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: payload}}
		env, err := streams.SignEvent(creator, ev)
		if err != nil {
			panic(err)
		}
		pe, err := streams.ParseEnvelope(env)
		if err != nil {
			panic(err)
		}
		return pe
	}
	var space [31]byte
	copy(space[:], crypto.Keccak256([]byte("sim-space")))
	in := &pb.Inception{StreamId: s.id.Bytes(), SpaceId: streams.NewStreamID(pb.StreamType_STREAM_TYPE_SPACE, space).Bytes(),
		Settings: &pb.StreamSettings{ReplicationFactor: uint32(sc.k), MinEventsPerSnapshot: sc.minEvents}}
	evs := []*streams.ParsedEvent{
		mk(&pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{Inception: in}}),
		mk(&pb.ChannelPayload{Content: &pb.ChannelPayload_Membership{Membership: &pb.Membership{
			Op: pb.MembershipOp_MEMBERSHIP_OP_JOIN, UserAddress: userAddrs[0].Bytes()}}}),
	}
	g, err := streams.MakeGenesis(nodeKeys[perm[0]], evs, s.now)
	if err != nil {
		panic(err)
	}
	s.genesis = g

	s.chain = newChain(s)
	s.net = newNetwork(s)
	s.chk = newChecker(s)
	s.cl = newClients(s)

	byzAt := -1
	if sc.byz != 0 {
		byzAt = perm[s.rng.IntN(sc.k)]
	}
	for i := range sc.nodes {
		n := &node{s: s, idx: i, key: nodeKeys[i], addr: crypto.PubkeyToAddress(nodeKeys[i].PublicKey), replica: isReplica[i]}
		if i == byzAt {
			n.byz = &byzantine{mode: sc.byz}
		}
		n.st = newStore()
		if n.replica {
			n.st.blocks = []*streams.ParsedMiniblock{g}
		}
		s.nodes = append(s.nodes, n)
	}
	s.chk.start()
	s.chain.start()
	for _, n := range s.nodes {
		n.restart()
	}
	s.cl.start()
	if sc.crashes || sc.partitions {
		s.after(s.between(200*time.Millisecond, time.Second), "chaos", -1, s.chaosTick)
	}
}

func (s *Sim) nodeByAddr(a common.Address) *node {
	for _, n := range s.nodes {
		if n.addr == a {
			return n
		}
	}
	return nil
}

func (s *Sim) byzReplicas() int {
	c := 0
	for _, n := range s.nodes {
		if n.replica && n.byz != nil {
			c++
		}
	}
	return c
}

// chaosTick draws a fault: a crash, a restart, a partition or a heal.
func (s *Sim) chaosTick() {
	if !s.chaos {
		return
	}
	sc := s.sc
	switch x := s.rng.IntN(10); {
	case x < 4 && sc.crashes:
		n := s.nodes[s.rng.IntN(len(s.nodes))]
		if x == 0 {
			// A leader mid-round: voting, staging or registering.
			for _, m := range s.nodes {
				if m.up && m.r != nil && m.r.Status().Leader != "" {
					n = m
				}
			}
		}
		if n.up {
			s.stats.Crashes++
			s.act("crash node %d", n.idx)
			n.crash()
			d := s.between(100*time.Millisecond, 4*time.Second)
			s.after(d, "restart", n.idx, func() {
				if !n.up {
					s.act("restart node %d", n.idx)
					n.restart()
				}
			})
		}
	case x < 7 && sc.partitions:
		s.stats.Partitions++
		s.net.partition()
		s.act("partition %v", s.net.group)
		s.after(s.between(300*time.Millisecond, 5*time.Second), "heal", -1, func() {
			s.act("heal")
			s.net.heal()
		})
	}
	s.after(s.between(200*time.Millisecond, 1500*time.Millisecond), "chaos", -1, s.chaosTick)
}
