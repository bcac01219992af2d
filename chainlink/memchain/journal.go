// The state file's journal: what each sealed block changed, appended.

package memchain

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
)

// The state file (path) is rewritten whole only at Open, at Close and when
// the journal (path + ".log") outgrows it; between rewrites each sealed
// block appends one line to the journal with what it changed, and syncs
// it. A block so costs what it changed, not the whole state (at 100,000
// streams the state file is ~25 MB: rewriting it every second was most of
// a node's CPU). Open replays the journal over the state file, then
// rewrites the state file and removes the journal; a torn last line (a
// crash in the middle of an append) is dropped, as if that block had not
// been sealed.

// minCompact is the journal size below which it is never folded into the
// state file; above it, it is once it outgrows the state file.
const minCompact = 4 << 20

func journalPath(path string) string { return path + ".log" }

// journalLine is one sealed block's changes.
type journalLine struct {
	Block    uint64                 `json:"n"`
	Time     uint64                 `json:"t"`
	Nodes    []chainlink.NodeRecord `json:"nodes,omitempty"` // the whole list, when it changed
	Approved []common.Address       `json:"approved,omitempty"`
	Created  []*stream              `json:"created,omitempty"`
	Regs     []journalReg           `json:"regs,omitempty"`
}

type journalReg struct {
	ID   common.Hash `json:"id"`
	Num  int64       `json:"num"`
	Hash common.Hash `json:"hash"`
}

// changes collects what the block being sealed changed (under mu).
type changes struct {
	nodes    bool
	approved bool
	created  []*stream
	regs     []journalReg
}

// persistLocked records block n (its changes in c.dirty): one journal
// line, or a rewrite of the state file when the journal has grown past it.
func (c *Chain) persistLocked(n uint64) error {
	d := c.dirty
	c.dirty = changes{}
	if c.journal == nil || c.journalSize > max(minCompact, 2*c.stateSize) {
		return c.compactLocked()
	}
	line := journalLine{Block: n, Time: c.times[n], Created: d.created, Regs: d.regs}
	if d.nodes {
		line.Nodes = c.nodes
		if line.Nodes == nil {
			line.Nodes = []chainlink.NodeRecord{}
		}
	}
	if d.approved {
		line.Approved = c.approvedList()
	}
	b, err := json.Marshal(&line)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := c.journal.Write(b); err != nil {
		return c.compactLocked() // the whole state, and a fresh journal
	}
	if err := c.journal.Sync(); err != nil {
		return err
	}
	c.journalSize += int64(len(b))
	return nil
}

// compactLocked rewrites the state file and starts an empty journal.
func (c *Chain) compactLocked() error {
	if c.journal != nil {
		_ = c.journal.Close()
		c.journal = nil
	}
	size, err := c.save()
	if err != nil {
		return err
	}
	c.stateSize = size
	f, err := os.OpenFile(journalPath(c.path), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	c.journal, c.journalSize = f, 0
	return nil
}

func (c *Chain) approvedList() []common.Address {
	out := make([]common.Address, 0, len(c.approved))
	for a := range c.approved {
		out = append(out, a)
	}
	return out
}

// replay applies the journal over the loaded state. It reports whether
// there was a journal to replay.
func (c *Chain) replay() (bool, error) {
	data, err := os.ReadFile(journalPath(c.path))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1] // a torn last line: that block was never sealed
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for lineNo := 1; sc.Scan(); lineNo++ {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return false, fmt.Errorf("%w: %s line %d: %v", ErrCorruptState, journalPath(c.path), lineNo, err)
		}
		if err := c.applyLine(&l); err != nil {
			return false, fmt.Errorf("%w: %s line %d: %v", ErrCorruptState, journalPath(c.path), lineNo, err)
		}
	}
	return true, sc.Err()
}

func (c *Chain) applyLine(l *journalLine) error {
	n := uint64(len(c.times))
	if l.Block != n {
		return fmt.Errorf("block %d, want %d", l.Block, n)
	}
	if l.Time < c.times[n-1] {
		return fmt.Errorf("block %d at %d, before its parent (%d)", n, l.Time, c.times[n-1])
	}
	c.times = append(c.times, l.Time)
	if l.Nodes != nil {
		c.nodes = slices.Clone(l.Nodes)
	}
	for _, a := range l.Approved {
		c.approved[a] = true
	}
	for _, s := range l.Created {
		if s == nil || len(s.Hashes) != 1 || len(s.Blocks) != 1 || s.Blocks[0] != n {
			return fmt.Errorf("stream created in block %d is malformed", n)
		}
		if _, ok := c.streams[[32]byte(s.ID)]; ok {
			return fmt.Errorf("stream %x created twice", s.ID)
		}
		c.streams[[32]byte(s.ID)] = s
	}
	for _, r := range l.Regs {
		s, ok := c.streams[[32]byte(r.ID)]
		if !ok || r.Num != int64(len(s.Hashes)) {
			return fmt.Errorf("registration %x/%d does not follow the stream", r.ID, r.Num)
		}
		s.Hashes = append(s.Hashes, r.Hash)
		s.Blocks = append(s.Blocks, n)
	}
	return nil
}
