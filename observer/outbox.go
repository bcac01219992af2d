package observer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// outboxSyncs counts the outboxes' fsyncs, for BenchmarkWriterObserverDown.
var outboxSyncs atomic.Uint64

// outbox is one observer's durable queue: payloads appended to a log file,
// one JSON object a line, each with its sequence number ("seq"), and a cursor
// file naming the first undelivered sequence number and the next one to
// give. A payload is on disk (fsynced) before
// the sender sees it and leaves only when the cursor passes it, after a 2xx.
// Past max payloads the oldest are dropped (the cursor skips them). A torn
// last line, from a crash mid-append, is cut off when the outbox opens.
type outbox struct {
	mu      sync.Mutex
	dir     string
	log     *os.File
	first   uint64 // first undelivered sequence number
	start   int64  // offset of the first undelivered payload
	recs    []span
	end     int64
	nextSeq uint64
	max     int
	ready   chan struct{} // signalled when a payload is appended
	buf     []byte        // append's write buffer, reused
	dirty   bool          // the cursor moved since it was written
	savedAt time.Time     // when it was written
}

type span struct {
	off, n int64
	seq    uint64
}

const (
	logName    = "outbox.log"
	cursorName = "cursor"
	urlName    = "url" // the observer's URL, for the log when it is removed
	// compactAt: once this many delivered bytes precede the cursor, the log
	// is rewritten without them.
	compactAt = 4 << 20
)

func openOutbox(dir string, max int) (*outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	o := &outbox{dir: dir, max: max, ready: make(chan struct{}, 1)}
	if b, err := os.ReadFile(filepath.Join(dir, cursorName)); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			o.first, _ = strconv.ParseUint(f[0], 10, 64)
			o.nextSeq, _ = strconv.ParseUint(f[1], 10, 64)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(dir, logName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	o.log = log
	if err := o.scan(); err != nil {
		log.Close()
		return nil, err
	}
	return o, nil
}

// scan rebuilds the undelivered spans (seq at or after the cursor) and cuts
// a torn tail.
func (o *outbox) scan() error {
	size, err := o.log.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	r := bufio.NewReader(io.NewSectionReader(o.log, 0, size))
	var off int64
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a torn line (no newline) is cut below
		}
		if err != nil {
			return err
		}
		seq, ok := seqOf(line)
		if ok && seq >= o.first {
			o.recs = append(o.recs, span{off, int64(len(line)), seq})
		}
		if ok && seq >= o.nextSeq {
			o.nextSeq = seq + 1
		}
		off += int64(len(line))
	}
	o.end = off
	o.start = off
	if len(o.recs) > 0 {
		o.start = o.recs[0].off
	}
	if off < size {
		if err := o.log.Truncate(off); err != nil {
			return err
		}
	}
	return nil
}

// seqOf reads the "seq" of a payload line.
func seqOf(line []byte) (uint64, bool) {
	i := bytes.Index(line, []byte(`"seq":`))
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(`"seq":`):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseUint(string(rest[:j]), 10, 64)
	return n, err == nil
}

// append writes the n payloads mk appends (given their sequence numbers)
// with one write and one fsync; it returns how many old payloads the cap
// dropped. The cursor file is not rewritten here: the next sequence number
// is recovered from the log when it opens, and the cap's drops reach the
// disk with the next delivery or compaction (until then a restart would
// offer the dropped payloads again, still at most max plus what one
// compaction holds).
func (o *outbox) append(n int, mk func(buf []byte, seq uint64, i int) []byte) (dropped int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	buf := o.buf[:0]
	off := o.end
	for i := 0; i < n; i++ {
		at := len(buf)
		buf = mk(buf, o.nextSeq, i)
		buf = append(buf, '\n')
		o.recs = append(o.recs, span{off + int64(at), int64(len(buf) - at), o.nextSeq})
		o.nextSeq++
	}
	if cap(buf) <= 1<<20 {
		o.buf = buf
	}
	outboxSyncs.Add(1)
	_, err = o.log.WriteAt(buf, o.end)
	if err == nil {
		err = o.log.Sync()
	}
	if err != nil {
		o.recs = o.recs[:len(o.recs)-n] // the next append writes over them
		o.nextSeq -= uint64(n)
		return 0, err
	}
	o.end = off + int64(len(buf))
	if over := len(o.recs) - o.max; over > 0 {
		dropped = over
		o.recs = o.recs[over:]
	}
	o.advance()
	// Dropped payloads before the cursor are cut off once they outweigh the
	// live ones, so a full outbox's log stays under about twice its payloads
	// and each byte is rewritten at most about once.
	if dropped > 0 && o.start >= compactAt && o.start >= o.end-o.start {
		if err := o.saveCursor(); err != nil {
			return dropped, err
		}
		if err := o.compact(); err != nil {
			return dropped, err
		}
	}
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return dropped, nil
}

// head returns the oldest undelivered payload and its sequence number.
func (o *outbox) head() ([]byte, uint64, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.recs) == 0 {
		return nil, 0, false, nil
	}
	s := o.recs[0]
	b := make([]byte, s.n)
	if _, err := o.log.ReadAt(b, s.off); err != nil {
		return nil, 0, false, err
	}
	return bytes.TrimSuffix(b, []byte("\n")), s.seq, true, nil
}

// cursorEvery: while payloads are being delivered, the cursor file is
// rewritten (and fsynced) at most this often, and when the sender goes
// idle (flush). A crash in between sends the payloads delivered since
// again, with their seq: delivery is at least once.
const cursorEvery = 50 * time.Millisecond

// pop removes payload seq once delivered (a no-op if the cap dropped it
// meanwhile).
func (o *outbox) pop(seq uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.recs) == 0 || o.recs[0].seq != seq {
		return nil
	}
	o.recs = o.recs[1:]
	o.advance()
	o.dirty = true
	if o.start >= compactAt {
		// The cursor first: a log compacted empty must not lose nextSeq.
		if err := o.saveCursor(); err != nil {
			return err
		}
		return o.compact()
	}
	if time.Since(o.savedAt) >= cursorEvery {
		return o.saveCursor()
	}
	return nil
}

// flush writes the cursor if deliveries moved it since it was written.
func (o *outbox) flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.dirty {
		return nil
	}
	return o.saveCursor()
}

// advance moves the cursor to the first remaining payload.
func (o *outbox) advance() {
	if len(o.recs) == 0 {
		o.start, o.first = o.end, o.nextSeq
		return
	}
	o.start, o.first = o.recs[0].off, o.recs[0].seq
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.recs)
}

// compact rewrites the log without the delivered prefix.
func (o *outbox) compact() error {
	tail := make([]byte, o.end-o.start)
	if _, err := o.log.ReadAt(tail, o.start); err != nil {
		return err
	}
	tmp := filepath.Join(o.dir, logName+".tmp")
	if err := writeSync(tmp, tail); err != nil {
		return err
	}
	// The cursor names sequence numbers, not offsets, so the swap is safe
	// at any point: either log holds every undelivered payload.
	shift := o.start
	if err := os.Rename(tmp, filepath.Join(o.dir, logName)); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(o.dir, logName), os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	o.log.Close()
	o.log = log
	for i := range o.recs {
		o.recs[i].off -= shift
	}
	o.start, o.end = 0, o.end-shift
	return nil
}

func (o *outbox) saveCursor() error {
	tmp := filepath.Join(o.dir, cursorName+".tmp")
	if err := writeSync(tmp, fmt.Appendf(nil, "%d %d\n", o.first, o.nextSeq)); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(o.dir, cursorName)); err != nil {
		return err
	}
	o.dirty, o.savedAt = false, time.Now()
	return nil
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	outboxSyncs.Add(1)
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// close writes the cursor, if it moved, and closes the log.
func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	if o.dirty {
		err = o.saveCursor()
	}
	return errors.Join(err, o.log.Close())
}
