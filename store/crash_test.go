//go:build linux

package store_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/store/storetest"
)

// The crash test runs this test binary again as a child that writes to a
// Badger store and prints every write that returned success; the parent
// SIGKILLs it at some point, reopens the store and checks that every printed
// write is there and that no miniblock is half applied. Rounds reuse the
// directory, so later rounds also start from a store recovered from a kill.

const (
	envCrashDir   = "STORE_CRASH_DIR"
	envCrashRound = "STORE_CRASH_ROUND"
	crashStreams  = 6
)

// Acks the child prints, one per line:
//
//	E <stream> <event hash>            AppendEvents returned nil
//	B <stream> <num>                   WriteMiniblock returned nil
//
// A block's Data is "blk" followed by the hashes it included, so the parent
// can tell where every event went. An event's Data is "<round> <n>", so the
// parent can check the order of the minipool.

func crashEvent(stream, round, n int) store.PoolEvent {
	h := sha256.Sum256(fmt.Appendf(nil, "crash %d %d %d", stream, round, n))
	return store.PoolEvent{Hash: h[:], Data: fmt.Appendf(nil, "%06d %09d", round, n)}
}

func crashBlock(stream int, num int64, included []store.PoolEvent) store.Miniblock {
	mb := storetest.Block(storetest.StreamID(stream), num, included...)
	mb.Data = []byte("blk")
	for _, e := range included {
		mb.Data = append(mb.Data, e.Hash...)
	}
	if num%3 == 0 {
		mb.Snapshot = fmt.Appendf(nil, "snapshot %d", num)
	}
	return mb
}

// TestCrashChild is the child's body; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("runs only as the child of TestCrash")
	}
	round, err := strconv.Atoi(os.Getenv(envCrashRound))
	require.NoError(t, err)
	s, err := store.OpenBadger(dir, store.BadgerOptions{Small: true})
	require.NoError(t, err)
	ctx := context.Background()

	var outMu sync.Mutex
	ack := func(format string, a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		if _, err := fmt.Fprintf(os.Stdout, format+"\n", a...); err != nil {
			os.Exit(3) // the parent is gone
		}
	}
	// Never outlive a parent that forgot us.
	time.AfterFunc(2*time.Minute, func() { os.Exit(4) })

	var wg sync.WaitGroup
	for i := range crashStreams {
		id := storetest.StreamID(i)
		if _, err := s.StreamRecord(ctx, id); err != nil {
			require.NoError(t, s.CreateStream(ctx, storetest.Record(id), storetest.Genesis(id)))
		}
		mp, err := s.LoadMinipool(ctx, id)
		require.NoError(t, err)
		wg.Go(func() {
			gen, pool, seq := mp.Generation, mp.Events, 0
			for n := 0; ; n++ {
				// One to three events per call.
				var evs []store.PoolEvent
				for range 1 + n%3 {
					evs = append(evs, crashEvent(i, round, seq))
					seq++
				}
				if err := s.AppendEvents(ctx, id, gen, evs); err != nil {
					panic(err)
				}
				for _, e := range evs {
					ack("E %d %x", i, e.Hash)
				}
				pool = append(pool, evs...)
				if n%4 != 3 {
					continue
				}
				// Seal the events at even positions; the rest carry over.
				var in, rest []store.PoolEvent
				for j, e := range pool {
					if j%2 == 0 {
						in = append(in, e)
					} else {
						rest = append(rest, e)
					}
				}
				// Stage it first, as the leader does; the write deletes
				// the staged copy (Verify checks none outlives it).
				mb := crashBlock(i, gen, in)
				sb := store.StagedBlock{
					StreamID: id, Num: gen, Hash: mb.Hash,
					Parent: storetest.BlockHash(id, gen-1), Data: mb.Data,
				}
				if err := s.StageBlock(ctx, sb); err != nil {
					panic(err)
				}
				if err := s.WriteMiniblock(ctx, id, mb); err != nil {
					panic(err)
				}
				ack("B %d %d", i, gen)
				gen, pool = gen+1, rest
			}
		})
	}
	wg.Wait()
}

type crashAcks struct {
	events map[int][][]byte // stream -> acked event hashes
	blocks map[int][]int64  // stream -> acked block numbers
	n      int
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes; skipped with -short")
	}
	dir := t.TempDir()
	// Kill after this many acks; the first round kills while streams are
	// still being created.
	for round, killAfter := range []int{1, 150, 700, 2500, 40} {
		acks := runCrashChild(t, dir, round, killAfter)
		t.Logf("round %d: killed after %d acks (%d read in total)", round, killAfter, acks.n)
		checkAfterCrash(t, dir, acks)
	}
}

func runCrashChild(t *testing.T, dir string, round, killAfter int) crashAcks {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashRound+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	acks := crashAcks{events: map[int][][]byte{}, blocks: map[int][]int64{}}
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) != 3 || (f[0] != "E" && f[0] != "B") {
			t.Log("child:", line) // test framework output, failures
			continue
		}
		stream, err := strconv.Atoi(f[1])
		require.NoError(t, err, line)
		switch f[0] {
		case "E":
			h, err := hex.DecodeString(f[2])
			require.NoError(t, err, line)
			acks.events[stream] = append(acks.events[stream], h)
		case "B":
			num, err := strconv.ParseInt(f[2], 10, 64)
			require.NoError(t, err, line)
			acks.blocks[stream] = append(acks.blocks[stream], num)
		}
		acks.n++
		// Lines already in the pipe after the kill were acked too: keep
		// reading until EOF.
		if !killed && acks.n >= killAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}
	require.NoError(t, sc.Err())
	err = cmd.Wait()
	require.True(t, killed, "child exited on its own: %v", err)
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child: %v", err)
	return acks
}

func checkAfterCrash(t *testing.T, dir string, acks crashAcks) {
	t.Helper()
	ctx := context.Background()
	s, err := store.OpenBadger(dir, store.BadgerOptions{Small: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.NoError(t, s.Verify(ctx))

	for i := range crashStreams {
		id := storetest.StreamID(i)
		if len(acks.events[i]) == 0 && len(acks.blocks[i]) == 0 {
			continue
		}
		last, err := s.LastMiniblock(ctx, id)
		require.NoError(t, err)
		blocks, err := s.ReadMiniblocks(ctx, id, 0, last.Num+1)
		require.NoError(t, err)
		require.Len(t, blocks, int(last.Num+1))

		// Every included event is in exactly one block.
		where := map[string]int64{}
		for _, mb := range blocks[1:] {
			require.Equal(t, storetest.BlockHash(id, mb.Num), mb.Hash)
			require.True(t, bytes.HasPrefix(mb.Data, []byte("blk")))
			hs := mb.Data[3:]
			require.Zero(t, len(hs)%32)
			for ; len(hs) > 0; hs = hs[32:] {
				_, dup := where[string(hs[:32])]
				require.False(t, dup, "event in two blocks")
				where[string(hs[:32])] = mb.Num
			}
		}
		for _, num := range acks.blocks[i] {
			require.LessOrEqual(t, num, last.Num, "stream %d: acked block %d lost", i, num)
		}
		// Written blocks left staging with their write.
		for _, mb := range blocks[1:] {
			_, err := s.StagedBlock(ctx, id, mb.Hash)
			require.ErrorIs(t, err, store.ErrNotFound, "stream %d: block %d still staged", i, mb.Num)
		}

		// The minipool is the next generation, holds nothing a block
		// included, and is in append order.
		mp, err := s.LoadMinipool(ctx, id)
		require.NoError(t, err)
		require.Equal(t, last.Num+1, mp.Generation)
		inPool := map[string]bool{}
		var prev string
		for _, e := range mp.Events {
			_, sealed := where[string(e.Hash)]
			require.False(t, sealed, "stream %d: sealed event still in the minipool", i)
			require.Less(t, prev, string(e.Data), "stream %d: minipool out of order", i)
			prev = string(e.Data)
			inPool[string(e.Hash)] = true
		}

		// Every acked event is either sealed or pending.
		for _, h := range acks.events[i] {
			_, sealed := where[string(h)]
			require.True(t, sealed || inPool[string(h)], "stream %d: acked event %x lost", i, h)
		}

		snap, err := s.LatestSnapshot(ctx, id)
		require.NoError(t, err)
		require.Equal(t, last.Num-last.Num%3, snap.Num, "latest snapshot")
	}
}
