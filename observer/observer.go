package observer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/towns-node/node/proto/pb"
)

// The payload types an observer can ask for.
const (
	TypeMiniblock     = "miniblock"      // a miniblock was applied
	TypeEvent         = "event"          // an event entered a minipool (durable)
	TypeStreamCreated = "stream_created" // a stream was created here (its genesis)
	TypeMembership    = "membership"     // a join or leave took effect (its miniblock applied)
	TypeSync          = "sync_progress"  // a stream's catch-up started, progressed or caught up
)

// AllTypes is what an observer gets without events=.
var AllTypes = []string{TypeMiniblock, TypeEvent, TypeStreamCreated, TypeMembership, TypeSync}

// Config is one observer.
type Config struct {
	URL   string
	Types map[string]bool // nil: all
}

// ParseConfig reads `URL[,events=TYPE+TYPE...]`.
func ParseConfig(s string) (Config, error) {
	parts := strings.Split(s, ",")
	u, err := url.Parse(parts[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, fmt.Errorf("observer %q: want an http(s) URL, then optionally ,events=%s", s, strings.Join(AllTypes, "+"))
	}
	c := Config{URL: parts[0]}
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(opt, "=")
		if k != "events" {
			return Config{}, fmt.Errorf("observer %q: unknown option %q; the only option is events=%s", s, k, strings.Join(AllTypes, "+"))
		}
		c.Types = map[string]bool{}
		for _, t := range strings.Split(v, "+") {
			if !known(t) {
				return Config{}, fmt.Errorf("observer %q: unknown event type %q; types are %s", s, t, strings.Join(AllTypes, ", "))
			}
			c.Types[t] = true
		}
	}
	return c, nil
}

func known(t string) bool {
	for _, a := range AllTypes {
		if a == t {
			return true
		}
	}
	return false
}

func (c Config) wants(t string) bool { return c.Types == nil || c.Types[t] }

// Options tune the observers of a node.
type Options struct {
	Dir        string        // outboxes live in Dir/<hash of URL>/
	MaxOutbox  int           // payloads kept per observer; past it the oldest are dropped
	QueueLen   int           // updates waiting to be written per observer; past it they are dropped
	Linger     time.Duration // group commit: how long the writer gathers updates before one fsync
	Timeout    time.Duration // per POST
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Client     *http.Client
	Logger     *slog.Logger
	Metrics    *Metrics
}

// DefaultOptions are what `node run` uses.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, MaxOutbox: 100_000, QueueLen: 10_000, Linger: 20 * time.Millisecond, Timeout: 10 * time.Second,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 30 * time.Second}
}

// Update is what the node reports: exactly one of Event, Miniblock and
// Sync is set; a miniblock numbered 0 is a stream's genesis (its creation).
type Update struct {
	StreamID  []byte
	Event     *pb.Envelope
	Miniblock *pb.Miniblock
	Sync      *SyncInfo
}

// Observers fans the node's updates out to each observer's worker. Observe
// never blocks.
type Observers struct {
	ws     []*worker
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start opens each observer's outbox (replaying what it holds) and starts
// its workers. The outboxes under opts.Dir of observers no longer configured
// are removed, with what they held (logged).
func Start(cfgs []Config, node []byte, opts Options) (*Observers, error) {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NopMetrics()
	}
	if err := dropRemoved(cfgs, opts); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Observers{cancel: cancel}
	for _, c := range cfgs {
		ob, err := openOutbox(outboxDir(opts.Dir, c.URL), opts.MaxOutbox)
		if err != nil {
			cancel()
			o.Close()
			return nil, fmt.Errorf("observer %s: outbox: %w", c.URL, err)
		}
		if err := os.WriteFile(filepath.Join(outboxDir(opts.Dir, c.URL), urlName), []byte(c.URL), 0o600); err != nil {
			cancel()
			o.Close()
			return nil, fmt.Errorf("observer %s: outbox: %w", c.URL, err)
		}
		w := &worker{cfg: c, node: node, opts: opts, box: ob, in: make(chan Update, opts.QueueLen),
			log: opts.Logger.With("observer", c.URL)}
		opts.Metrics.Queue.WithLabelValues(c.URL).Set(float64(ob.len()))
		o.ws = append(o.ws, w)
		o.wg.Add(2)
		go func() { defer o.wg.Done(); w.write(ctx) }()
		go func() { defer o.wg.Done(); w.send(ctx) }()
	}
	return o, nil
}

// Observe hands u to every observer that wants it, without blocking: an
// observer whose queue is full drops it and counts the drop.
func (o *Observers) Observe(u Update) {
	if o == nil {
		return
	}
	for _, w := range o.ws {
		select {
		case w.in <- u:
		default:
			w.opts.Metrics.Dropped.WithLabelValues(w.cfg.URL, "queue").Inc()
			w.st.dropped.Add(1)
		}
	}
}

// Close stops the workers; what is in the outboxes stays for the next start.
func (o *Observers) Close() error {
	o.cancel()
	o.wg.Wait()
	var errs []error
	for _, w := range o.ws {
		errs = append(errs, w.box.close())
	}
	return errors.Join(errs...)
}

func outboxDir(dir, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dir, hex.EncodeToString(sum[:8]))
}

// dropRemoved deletes the outboxes of observers that are not configured.
func dropRemoved(cfgs []Config, opts Options) error {
	keep := map[string]bool{}
	for _, c := range cfgs {
		keep[outboxDir(opts.Dir, c.URL)] = true
	}
	entries, err := os.ReadDir(opts.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		dir := filepath.Join(opts.Dir, e.Name())
		if !e.IsDir() || keep[dir] {
			continue
		}
		url, _ := os.ReadFile(filepath.Join(dir, urlName))
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		opts.Logger.Info("dropped the outbox of an observer no longer configured", "observer", string(url))
	}
	return nil
}

type worker struct {
	cfg  Config
	node []byte
	opts Options
	box  *outbox
	in   chan Update
	log  *slog.Logger
	st   stats // health.go
	// members remembers, for events this worker described, whether each is
	// a join or leave, so their miniblock need not decode them again
	// (payload.go). Keyed by event hash; emptied when it grows past bounds.
	members map[string]bool
	nodeHex string
}

// maxBatch bounds the payloads one append writes.
const maxBatch = 4096

// write persists queued updates with group commit: woken by the first
// update, it sleeps Linger, then takes everything queued (so it wakes once
// per batch, not once per update) and writes and fsyncs it as one append.
// A busy node thus costs the disk at most one observer fsync per Linger,
// and the node's store does not queue its own syncs behind a stream of
// small ones. When the observers close, what is queued is written before
// the writer returns.
func (w *worker) write(ctx context.Context) {
	var batch []Payload
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		var u Update
		select {
		case <-ctx.Done():
			w.commit(w.drain(batch[:0]))
			return
		case u = <-w.in:
		}
		linger.Reset(w.opts.Linger)
		stopping := false
		select {
		case <-linger.C:
		case <-ctx.Done():
			linger.Stop()
			stopping = true
		}
		batch = w.drain(w.payloads(batch[:0], u))
		for len(batch) > maxBatch {
			w.commit(batch[:maxBatch])
			batch = append(batch[:0], batch[maxBatch:]...)
		}
		w.commit(batch)
		if stopping {
			return
		}
	}
}

// drain adds what is queued now (at most a queue's worth), without waiting.
func (w *worker) drain(batch []Payload) []Payload {
	for range cap(w.in) {
		select {
		case u := <-w.in:
			batch = w.payloads(batch, u)
		default:
			return batch
		}
	}
	return batch
}

// commit appends batch to the outbox (one write, one fsync).
func (w *worker) commit(batch []Payload) {
	if len(batch) == 0 {
		return
	}
	dropped, err := w.box.append(len(batch), func(buf []byte, seq uint64, i int) []byte { return encode(buf, &batch[i], seq) })
	if err != nil {
		w.log.Error("observer outbox write failed; payloads lost", "n", len(batch), "err", err)
		w.opts.Metrics.Dropped.WithLabelValues(w.cfg.URL, "write").Add(float64(len(batch)))
		w.st.dropped.Add(uint64(len(batch)))
		w.st.failed(err)
		return
	}
	if dropped > 0 {
		w.opts.Metrics.Dropped.WithLabelValues(w.cfg.URL, "outbox_full").Add(float64(dropped))
		w.st.dropped.Add(uint64(dropped))
	}
	w.opts.Metrics.Queue.WithLabelValues(w.cfg.URL).Set(float64(w.box.len()))
}

// send delivers the outbox in order, one POST at a time, backing off with
// jitter after a failure.
func (w *worker) send(ctx context.Context) {
	backoff := w.opts.MinBackoff
	for {
		payload, seq, ok, err := w.box.head()
		if err != nil {
			w.log.Error("observer outbox read failed", "err", err)
		}
		if !ok || err != nil {
			if err := w.box.flush(); err != nil { // idle: the cursor reaches the disk
				w.log.Error("observer outbox cursor write failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-w.box.ready:
				continue
			}
		}
		if err := w.post(ctx, payload, seq); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.opts.Metrics.Retries.WithLabelValues(w.cfg.URL).Inc()
			w.opts.Metrics.LastError.WithLabelValues(w.cfg.URL).SetToCurrentTime()
			w.st.retries.Add(1)
			w.st.failed(err)
			w.log.Debug("observer delivery failed", "seq", seq, "err", err, "retry_in", backoff)
			d := backoff/2 + time.Duration(rand.Int64N(int64(backoff)/2+1))
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			backoff = min(2*backoff, w.opts.MaxBackoff)
			continue
		}
		backoff = w.opts.MinBackoff
		if err := w.box.pop(seq); err != nil {
			w.log.Error("observer outbox cursor write failed", "err", err)
		}
		w.opts.Metrics.Delivered.WithLabelValues(w.cfg.URL).Inc()
		w.st.delivered.Add(1)
		w.st.down.Store(false)
		w.opts.Metrics.Queue.WithLabelValues(w.cfg.URL).Set(float64(w.box.len()))
	}
}

func (w *worker) post(ctx context.Context, payload []byte, seq uint64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Observer-Seq", fmt.Sprint(seq))
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
