package client

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/towns-node/node/internal/envflag"
	"github.com/towns-node/node/internal/keyfile"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// DefaultAPI is the API address `node run` listens on by default.
const DefaultAPI = "http://127.0.0.1:7100"

// envPrefix is the environment mirror of the client's flags.
const envPrefix = "NODE_CLIENT_"

// IO is where a command line reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// StdIO is the process's own.
func StdIO() IO { return IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr} }

// DefaultKeyFile is $XDG_CONFIG_HOME/towns-node/client.key (on Linux
// ~/.config/towns-node/client.key), or ./client.key without a config dir.
func DefaultKeyFile() string {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "towns-node", "client.key")
	}
	return "client.key"
}

// verb is one `node client` verb: its synopsis, its flags and what it does.
type verb struct {
	name, synopsis, help string
	// setup defines the verb's flags on fs and returns what runs it with
	// the positional arguments left after them.
	setup func(fs *flag.FlagSet) func(ctx context.Context, c *Client, args []string, std IO) error
}

var verbs = []verb{
	{"create-space", "[--replicas K]", "create a space, print its id", setupCreateSpace},
	{"create-channel", "--space ID [--replicas K]", "create a channel in a space, print its id", setupCreateChannel},
	{"join", "--stream ID", "join a space, channel or DM", setupMembership(pb.MembershipOp_MEMBERSHIP_OP_JOIN)},
	{"leave", "--stream ID", "leave a space, channel or DM", setupMembership(pb.MembershipOp_MEMBERSHIP_OP_LEAVE)},
	{"post", "--stream ID (--text T | TEXT | --file F | -)", "post a message, print its hash once durable", setupPost},
	{"read", "--stream ID [--since N] [--json]", "events in order (miniblock null while pending)", setupRead},
	{"miniblocks", "--stream ID [--since N] [--json]", "miniblock headers, one a line", setupMiniblocks},
	{"tail", "--stream ID [--since N] [--json]", "follow new events and miniblocks; reconnects", setupTail},
	{"whoami", "", "this user's address, key file and user stream", setupWhoami},
}

// Verbs lists the verbs of `node client` with their synopses, one a line.
func Verbs() string {
	var b strings.Builder
	for _, v := range verbs {
		fmt.Fprintf(&b, "  %-58s %s\n", strings.TrimSpace(v.name+" "+v.synopsis), v.help)
	}
	return b.String()
}

const clientSynopsis = "node client [--api URL] [--key FILE] VERB [flags]"

// Run is `node client ARGS`.
func Run(ctx context.Context, args []string, std IO) error {
	fs := flag.NewFlagSet("node client", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	api := fs.String("api", DefaultAPI, "node API URL (or host:port)")
	keyFile := fs.String("key", DefaultKeyFile(), "user key file, created on first use")
	envflag.Usage(fs, envPrefix, clientSynopsis)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(std.Stderr, "verbs (node client VERB -h for a verb's flags):\n%s", Verbs())
	}
	if err := envflag.Parse(fs, args, envPrefix); err != nil {
		return flagError(err)
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(std.Stderr, "usage: %s\nverbs (node client VERB -h for a verb's flags):\n%s", clientSynopsis, Verbs())
		return usagef("node client needs a verb")
	}
	name := fs.Arg(0)
	var v *verb
	for i := range verbs {
		if verbs[i].name == name {
			v = &verbs[i]
		}
	}
	if v == nil {
		names := make([]string, len(verbs))
		for i, v := range verbs {
			names[i] = v.name
		}
		return usagef("unknown verb %q; the verbs are %s (node client -h)", name, strings.Join(names, ", "))
	}
	vfs := flag.NewFlagSet("node client "+name, flag.ContinueOnError)
	vfs.SetOutput(std.Stderr)
	exec := v.setup(vfs)
	envflag.Usage(vfs, envPrefix, strings.TrimSpace("node client [--api URL] [--key FILE] "+name+" "+v.synopsis))
	if err := envflag.Parse(vfs, fs.Args()[1:], envPrefix); err != nil {
		return flagError(err)
	}
	key, _, err := keyfile.LoadOrCreate(*keyFile)
	if err != nil {
		return err
	}
	c := New(*api, key)
	c.keyFile = *keyFile
	return explain(exec(ctx, c, vfs.Args(), std), c.base)
}

// flagError marks a flag parse error as bad input (the flag package has
// printed the usage); -h stays flag.ErrHelp.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Msg: err.Error()}
}

func noArgs(verb string, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", verb, strings.Join(args, " "))
	}
	return nil
}

// streamFlag defines --stream (or another id flag) and returns its parser.
func idFlag(fs *flag.FlagSet, name, what string) func() (streams.StreamID, error) {
	s := fs.String(name, "", what+" (64 hex digits, 0x optional)")
	return func() (streams.StreamID, error) {
		if *s == "" {
			return streams.StreamID{}, usagef("--%s is required: the %s", name, what)
		}
		id, err := ParseStreamID(*s)
		if err != nil {
			return id, usagef("--%s: %v", name, err)
		}
		return id, nil
	}
}

// sinceFlag defines --since N, a miniblock number.
func sinceFlag(fs *flag.FlagSet, help string) func() (*int64, error) {
	s := fs.String("since", "", help)
	return func() (*int64, error) {
		if *s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(*s, 10, 64)
		if err != nil || n < 0 {
			return nil, usagef("--since %q: want a miniblock number, 0 or more", *s)
		}
		return &n, nil
	}
}

// replicasFlag defines --replicas K and returns what sets it on a client.
func replicasFlag(fs *flag.FlagSet) func(*Client) error {
	k := fs.Int("replicas", 0, fmt.Sprintf("replication factor: the number of nodes that hold the stream, at most the registered nodes (default %d, or every node when fewer)", Replication))
	return func(c *Client) error {
		if *k == 0 {
			c.Replicas = 0 // DefaultReplicas
			return nil
		}
		if *k < 1 || *k > 64 {
			return usagef("--replicas %d: want 1 to 64", *k)
		}
		c.Replicas = uint32(*k)
		return nil
	}
}

func setupCreateSpace(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	replicas := replicasFlag(fs)
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("create-space", args); err != nil {
			return err
		}
		if err := replicas(c); err != nil {
			return err
		}
		id, err := c.CreateSpace(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(std.Stdout, FormatID(id))
		return nil
	}
}

func setupCreateChannel(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	space := idFlag(fs, "space", "space the channel belongs to")
	replicas := replicasFlag(fs)
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("create-channel", args); err != nil {
			return err
		}
		if err := replicas(c); err != nil {
			return err
		}
		sp, err := space()
		if err != nil {
			return err
		}
		id, err := c.CreateChannel(ctx, sp)
		if err != nil {
			return err
		}
		fmt.Fprintln(std.Stdout, FormatID(id))
		return nil
	}
}

func setupMembership(op pb.MembershipOp) func(*flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	return func(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
		stream := idFlag(fs, "stream", "space, channel or DM")
		return func(ctx context.Context, c *Client, args []string, std IO) error {
			if err := noArgs(fs.Name()[len("node client "):], args); err != nil {
				return err
			}
			id, err := stream()
			if err != nil {
				return err
			}
			h, err := c.Membership(ctx, id, op)
			if err != nil {
				return err
			}
			fmt.Fprintln(std.Stdout, FormatHex(h[:]))
			return nil
		}
	}
}

func setupPost(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	stream := idFlag(fs, "stream", "channel, DM or user stream to post to")
	text := fs.String("text", "", "message text")
	file := fs.String("file", "", "read the message text from FILE (- for stdin)")
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		var sources []string
		if given["text"] || *text != "" {
			sources = append(sources, "--text")
		}
		if *file != "" {
			sources = append(sources, "--file")
		}
		switch {
		case len(args) > 1:
			return usagef("post takes the text as one argument, got %d: %q; quote the text, or use --text", len(args), strings.Join(args, " "))
		case len(args) == 1 && args[0] == "-":
			sources = append(sources, "- (stdin)")
		case len(args) == 1:
			sources = append(sources, "an argument")
		}
		if len(sources) == 0 {
			return usagef("post needs a text: --text T, one argument, --file FILE, or - to read stdin")
		}
		if len(sources) > 1 {
			return usagef("post takes the text one way, got %s", strings.Join(sources, " and "))
		}
		id, err := stream()
		if err != nil {
			return err
		}
		var body string
		switch {
		case given["text"] || *text != "":
			body = *text
		case *file == "-" || (len(args) == 1 && args[0] == "-"):
			b, err := io.ReadAll(io.LimitReader(std.Stdin, MaxEventBytes+1))
			if err != nil {
				return fmt.Errorf("post: reading stdin: %w", err)
			}
			body = trimNewline(string(b))
		case *file != "":
			b, err := readLimited(*file)
			if err != nil {
				return usagef("post: --file: %v", err)
			}
			body = trimNewline(string(b))
		default:
			body = args[0]
		}
		h, err := c.Post(ctx, id, body)
		if err != nil {
			return err
		}
		fmt.Fprintln(std.Stdout, FormatHex(h[:]))
		return nil
	}
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxEventBytes+1))
}

// trimNewline drops one line end, as `echo` and editors add it.
func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

func setupRead(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	stream := idFlag(fs, "stream", "stream to read")
	since := sinceFlag(fs, "start at miniblock N (default: the genesis)")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("read", args); err != nil {
			return err
		}
		id, err := stream()
		if err != nil {
			return err
		}
		from, err := since()
		if err != nil {
			return err
		}
		lines, err := c.Read(ctx, id, deref(from))
		if err != nil {
			return err
		}
		for _, l := range lines {
			printEvent(std.Stdout, l, *asJSON)
		}
		return nil
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func setupMiniblocks(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	stream := idFlag(fs, "stream", "stream whose miniblocks to list")
	since := sinceFlag(fs, "start at miniblock N (default: the genesis)")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("miniblocks", args); err != nil {
			return err
		}
		id, err := stream()
		if err != nil {
			return err
		}
		from, err := since()
		if err != nil {
			return err
		}
		mbs, err := c.Miniblocks(ctx, id, deref(from))
		if err != nil {
			return err
		}
		for _, mb := range mbs {
			l, err := HeaderOf(mb)
			if err != nil {
				return err
			}
			printHeader(std.Stdout, l, *asJSON)
		}
		return nil
	}
}

func setupTail(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	stream := idFlag(fs, "stream", "stream to follow")
	since := sinceFlag(fs, "first print the history from miniblock N (default: only what is new)")
	asJSON := fs.Bool("json", false, "one JSON object a line; headers as {\"miniblock_header\": ...}")
	giveUp := fs.Duration("give-up", DefaultBackoff.GiveUp, "exit non-zero after the node has been unreachable this long (0: never)")
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("tail", args); err != nil {
			return err
		}
		id, err := stream()
		if err != nil {
			return err
		}
		from, err := since()
		if err != nil {
			return err
		}
		b := DefaultBackoff
		b.GiveUp = *giveUp
		return c.Tail(ctx, id, std.Stdout, TailOptions{Since: from, JSON: *asJSON, Backoff: b, Log: std.Stderr})
	}
}

func setupWhoami(fs *flag.FlagSet) func(context.Context, *Client, []string, IO) error {
	return func(ctx context.Context, c *Client, args []string, std IO) error {
		if err := noArgs("whoami", args); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "address      %s\nkey file     %s\nuser stream  %s\n",
			FormatHex(c.addr[:]), c.keyFile, FormatID(streams.UserStreamID(c.addr)))
		return nil
	}
}

// RunStatus is `node status ARGS`: what the node at --api is doing.
func RunStatus(ctx context.Context, args []string, std IO) error {
	fs := flag.NewFlagSet("node status", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	api := fs.String("api", DefaultAPI, "node API URL (or host:port)")
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	envflag.Usage(fs, envPrefix, "node status [--api URL] [--json]")
	if err := envflag.Parse(fs, args, envPrefix); err != nil {
		return flagError(err)
	}
	if err := noArgs("status", fs.Args()); err != nil {
		return err
	}
	c := &Client{base: BaseURL(*api)}
	c.node = newNodeClient(c.base)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := c.Status(sctx)
	if err != nil {
		return explain(err, c.base)
	}
	if *asJSON {
		b, _ := json.Marshal(statusJSON(st))
		fmt.Fprintln(std.Stdout, string(b))
		return nil
	}
	printStatus(std.Stdout, c.base, st)
	return nil
}
