package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// P2P is what the console reads of the libp2p host (*p2p.Host).
type P2P interface {
	DebugInfo() p2p.DebugInfo
	TopicPeers(id streams.StreamID) []common.Address
	PeerTopics() map[string][]string
	Refused() []p2p.RefusedPeer
}

var _ P2P = (*p2p.Host)(nil)

// Observers is what the console reads of the observers (*observer.Observers).
type Observers interface {
	Health() []observer.Health
}

var _ Observers = (*observer.Observers)(nil)

// Info is what the node page tells besides the live state.
type Info struct {
	API, Debug string // listen addresses
	DataDir    string
	Chain      string // "embedded", "memory" or a URL
	BlockTime  time.Duration
	Started    time.Time
}

// Deps are what the console reads.
type Deps struct {
	Node      *actors.Node
	Store     store.Store
	Chain     chainlink.Chain
	P2P       P2P       // nil: a lone node
	Observers Observers // nil: none
	Info      Info
	Logger    *slog.Logger     // nil discards
	Now       func() time.Time // nil: time.Now
}

// Console serves the pages.
type Console struct {
	d     Deps
	pages map[string]*template.Template
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates, one per page.
var pageNames = []string{"node", "streams", "stream", "actors", "peers", "error"}

// New builds the console.
func New(d Deps) (*Console, error) {
	if d.Node == nil || d.Store == nil || d.Chain == nil {
		return nil, errors.New("console: Node, Store and Chain are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{d: d, pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(c.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return c, nil
}

// Handler serves the console and hands every other path to next (the
// debug handler it extends: pprof, /metrics, /debug/actors JSON, ...).
func (c *Console) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/debug/", http.StatusFound)
	})
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /debug/static/", http.StripPrefix("/debug/static/", http.FileServerFS(static)))

	mux.HandleFunc("GET /debug/{$}", c.page("node", "node", func(r *http.Request) (any, error) {
		return c.node(r.Context()), nil
	}))
	mux.HandleFunc("GET /debug/api/{$}", c.api(func(r *http.Request) (any, error) { return c.node(r.Context()), nil }))

	streamsData := func(r *http.Request) (any, error) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		return c.streams(r.Context(), r.URL.Query().Get("prefix"), page), nil
	}
	mux.HandleFunc("GET /debug/streams", c.page("streams", "streams", streamsData))
	mux.HandleFunc("GET /debug/api/streams", c.api(streamsData))

	streamData := func(r *http.Request) (any, error) {
		id, err := parseStreamID(r.PathValue("id"))
		if err != nil {
			return nil, badRequest{err}
		}
		return c.stream(r.Context(), id)
	}
	mux.HandleFunc("GET /debug/streams/{id}", c.page("stream", "streams", streamData))
	mux.HandleFunc("GET /debug/api/streams/{id}", c.api(streamData))

	actorsData := func(r *http.Request) (any, error) { return c.actors(r.Context()), nil }
	actorsPage := c.page("actors", "actors", actorsData)
	mux.HandleFunc("GET /debug/actors", func(w http.ResponseWriter, r *http.Request) {
		// The JSON list lived here before the console; curl keeps it.
		if !strings.Contains(r.Header.Get("Accept"), "text/html") && r.URL.Query().Get("fragment") == "" {
			next.ServeHTTP(w, r)
			return
		}
		actorsPage(w, r)
	})
	mux.HandleFunc("GET /debug/api/actors", c.api(actorsData))

	peersData := func(*http.Request) (any, error) { return c.peers(), nil }
	mux.HandleFunc("GET /debug/peers", c.page("peers", "peers", peersData))
	mux.HandleFunc("GET /debug/api/peers", c.api(peersData))

	mux.Handle("/", next)
	return mux
}

type badRequest struct{ error }

func (e badRequest) Unwrap() error { return e.error }

func status(err error) int {
	var br badRequest
	switch {
	case errors.As(err, &br):
		return http.StatusBadRequest
	case errors.Is(err, errNoStream):
		return http.StatusNotFound
	default:
		return http.StatusServiceUnavailable
	}
}

func requestCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}

// api serves data's result as JSON.
func (c *Console) api(data func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := requestCtx(r)
		defer cancel()
		v, err := data(r.WithContext(ctx))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err != nil {
			w.WriteHeader(status(err))
			_ = enc.Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = enc.Encode(v)
	}
}

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Nav     string // the nav entry to mark
	Node    string // this node's address
	API     string // the JSON of this page
	Now     time.Time
	Data    any
	Err     string
	Refresh bool // the page polls itself
}

// page renders the template name with data's result; with ?fragment=1
// only the main section, for the poll.
func (c *Console) page(name, nav string, data func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := requestCtx(r)
		defer cancel()
		v, err := data(r.WithContext(ctx))
		pd := pageData{Title: name, Nav: nav, Node: hexAddr(c.d.Node.Address()), Now: c.d.Now(), Data: v, Refresh: true,
			API: "/debug/api" + strings.TrimPrefix(r.URL.Path, "/debug")}
		if r.URL.RawQuery != "" {
			q := r.URL.Query()
			q.Del("fragment")
			if enc := q.Encode(); enc != "" {
				pd.API += "?" + enc
			}
		}
		t := c.pages[name]
		code := http.StatusOK
		if err != nil {
			t, code, pd.Err, pd.Refresh = c.pages["error"], status(err), err.Error(), false
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		tmpl := "layout.html"
		if r.URL.Query().Get("fragment") != "" {
			tmpl = "main"
		}
		if err := t.ExecuteTemplate(w, tmpl, pd); err != nil {
			c.d.Logger.Debug("console: render", "page", name, "err", err)
		}
	}
}

// funcs are the templates' helpers.
func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"id":    shortID,
		"ago":   func(t time.Time) string { return ago(c.d.Now(), t) },
		"dur":   func(ms int64) string { return roundDur(time.Duration(ms) * time.Millisecond) },
		"bytes": humanBytes,
		"ms":    func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"score": func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"streamURL": func(id string) string {
			return "/debug/streams/" + id
		},
		"pageURL": func(prefix string, page int) string {
			v := "/debug/streams?page=" + strconv.Itoa(page)
			if prefix != "" {
				v += "&prefix=" + template.URLQueryEscaper(prefix)
			}
			return v
		},
		"isSelf": func(a string) bool { return a == hexAddr(c.d.Node.Address()) },
		"kv":     kv,
		"base":   func(name string) string { return name[strings.LastIndexByte(name, '/')+1:] },
		"int64":  func(n int) int64 { return int64(n) },
		"dict": func(n *ActorNode, depth int) actorRow {
			return actorRow{N: n, Depth: depth, Indent: float64(depth)*1.2 + 0.3}
		},
	}
}

// actorRow is one row of the actor tree.
type actorRow struct {
	N      *ActorNode
	Depth  int
	Indent float64
}

// copyIcon is two overlapping sheets (inline SVG: no font needs the glyph).
const copyIcon = `<svg width="11" height="11" viewBox="0 0 11 11" aria-hidden="true"><rect x="3" y="0.5" width="7" height="7" fill="none" stroke="currentColor"/><rect x="0.5" y="3" width="7" height="7" fill="white" stroke="currentColor"/></svg>`

// shortID renders a long id as 0x1234…abcd with the full value on hover
// and a copy button; short values are shown whole.
func shortID(s string) template.HTML {
	if s == "" {
		return template.HTML(`<span class="none">–</span>`)
	}
	short := s
	if len(s) > 14 {
		short = s[:6] + "…" + s[len(s)-4:]
	}
	e := template.HTMLEscapeString(s)
	return template.HTML(`<span class="id" title="` + e + `" data-full="` + e + `">` + template.HTMLEscapeString(short) +
		`</span><button type="button" class="copy" data-copy="` + e + `" title="copy ` + e + `">` + copyIcon + `</button>`)
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + roundDur(-d)
	}
	return roundDur(d) + " ago"
}

func roundDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// kvPair is one field of a JSON object, for the generic tables.
type kvPair struct {
	Key   string
	Value any
}

// kv lists a JSON object's fields in key order, so fields other parts add
// to ActorInfo show up without a template change.
func kv(m map[string]any) []kvPair {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kvPair, 0, len(keys))
	for _, k := range keys {
		out = append(out, kvPair{k, m[k]})
	}
	return out
}

// asMap is v's JSON as a map.
func asMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}
