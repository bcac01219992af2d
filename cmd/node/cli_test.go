package main

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/client"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// testNode runs a node in-process on the memory chain and returns its
// config (API and debug addresses, data dir).
func testNode(t *testing.T, opts ...func(*runConfig)) runConfig {
	t.Helper()
	c := runConfig{
		dataDir: t.TempDir(), api: freeAddr(t), debug: freeAddr(t),
		chain: "memory", blockTime: 100 * time.Millisecond, idle: time.Minute,
	}
	// The p2p flags' defaults, on ports the kernel picks.
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.p2p.register(fs)
	require.NoError(t, fs.Parse([]string{"--p2p.listen", "/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/udp/0/quic-v1"}))
	for _, o := range opts {
		o(&c)
	}
	c.keyFile = filepath.Join(c.dataDir, "node.key")
	ctx, cancel := context.WithCancel(context.Background())
	l, err := startNode(ctx, c, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, l.stop())
	})
	return c
}

type outcome struct {
	code           int
	stdout, stderr string
}

// node runs the command line in-process, as the binary would, with stdin.
func node(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	code := realMain(args, client.IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	return outcome{code, out.String(), errOut.String()}
}

// The command line's table: every bad input with its exact message and exit
// code, and each way of giving a post's text.
func TestCommandLine(t *testing.T) {
	n := testNode(t)
	key := filepath.Join(t.TempDir(), "alice.key")
	api := "http://" + n.api
	cl := func(args ...string) []string { return append([]string{"client", "--api", api, "--key", key}, args...) }

	space := strings.TrimSpace(node(t, "", cl("create-space")...).stdout)
	require.Regexp(t, `^0x10[0-9a-f]{62}$`, space)
	r := node(t, "", cl("create-channel", "--space", space)...)
	require.Equal(t, 0, r.code, r.stderr)
	channel := strings.TrimSpace(r.stdout)
	require.Regexp(t, `^0x20[0-9a-f]{62}$`, channel)
	textFile := filepath.Join(t.TempDir(), "text")
	require.NoError(t, os.WriteFile(textFile, []byte("from a file\n"), 0o600))
	blankFile := filepath.Join(t.TempDir(), "blank")
	require.NoError(t, os.WriteFile(blankFile, []byte(" \n"), 0o600))
	user := "0xa8" + strings.Repeat("00", 31)
	deadAPI := "http://" + freeAddr(t)
	big := strings.Repeat("x", client.MaxEventBytes)
	expectID := "want 64 hex digits (32 bytes), 0x optional, any case, starting with the stream type: 10 space, 20 channel, 88 DM, a8 user, a5 user settings"

	hash := `^0x[0-9a-f]{64}\n$`
	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string // exact, or a regexp when it starts with ^
		stdout string // a regexp; "" means empty
	}{
		// post: each way of giving the text
		{"post --text", cl("post", "--stream", channel, "--text", "from --text"), "", 0, "", hash},
		{"post positional", cl("post", "--stream", channel, "from an argument"), "", 0, "", hash},
		{"post --file", cl("post", "--stream", channel, "--file", textFile), "", 0, "", hash},
		{"post stdin", cl("post", "--stream", channel, "-"), "from stdin\n", 0, "", hash},
		{"post --file -", cl("post", "--stream", channel, "--file", "-"), "from stdin too", 0, "", hash},
		{"post id in upper case with 0X", cl("post", "--stream", "0X"+strings.ToUpper(channel[2:]), "--text", "upper-case id"), "", 0, "", hash},
		{"post id without 0x", cl("post", "--stream", channel[2:], "--text", "bare id"), "", 0, "", hash},

		// post: bad input, nothing sent
		{"post without text", cl("post", "--stream", channel), "", 2,
			"error: post needs a text: --text T, one argument, --file FILE, or - to read stdin\n", ""},
		{"post empty --text", cl("post", "--stream", channel, "--text", ""), "", 2,
			"error: post: the text is empty; give it with --text, as an argument, with --file FILE or on stdin (-)\n", ""},
		{"post blank --text", cl("post", "--stream", channel, "--text", " \t "), "", 2,
			"error: post: the text is empty; give it with --text, as an argument, with --file FILE or on stdin (-)\n", ""},
		{"post blank stdin", cl("post", "--stream", channel, "-"), "\n", 2,
			"error: post: the text is empty; give it with --text, as an argument, with --file FILE or on stdin (-)\n", ""},
		{"post blank file", cl("post", "--stream", channel, "--file", blankFile), "", 2,
			"error: post: the text is empty; give it with --text, as an argument, with --file FILE or on stdin (-)\n", ""},
		{"post unquoted words", cl("post", "--stream", channel, "hello", "world"), "", 2,
			"error: post takes the text as one argument, got 2: \"hello world\"; quote the text, or use --text\n", ""},
		{"post stray argument after --text", cl("post", "--stream", channel, "--text", "hi", "extra"), "", 2,
			"error: post takes the text one way, got --text and an argument\n", ""},
		{"post missing file", cl("post", "--stream", channel, "--file", "/nonexistent/x"), "", 2,
			"error: post: --file: open /nonexistent/x: no such file or directory\n", ""},
		{"post too large", cl("post", "--stream", channel, "--text", big), "", 2,
			`^error: post: the text is 65536 bytes, 656\d\d once signed; the node takes events of up to 65536 bytes, so at most 654\d\d bytes of text fit\n$`, ""},
		{"post --text and --file", cl("post", "--stream", channel, "--text", "hi", "--file", textFile), "", 2,
			"error: post takes the text one way, got --text and --file\n", ""},
		{"post --file and stdin", cl("post", "--stream", channel, "--file", textFile, "-"), "", 2,
			"error: post takes the text one way, got --file and - (stdin)\n", ""},
		{"post -h shows only its flags", cl("post", "-h"), "", 0,
			`^usage: node client \[--api URL\] \[--key FILE\] post --stream ID \(--text T \| TEXT \| --file F \| -\)\n  --file .*\n.*\n  --stream .*\n.*\n  --text .*\n.*\n$`, ""},
		{"post to a space", cl("post", "--stream", space, "--text", "hi"), "", 2,
			"error: " + space + " is a space stream, which holds no messages: a space stream takes an inception, a membership, a channel, a username or a display name; post to a channel, DM or user stream\n", ""},
		{"post without --stream", cl("post", "--text", "hi"), "", 2,
			"error: --stream is required: the channel, DM or user stream to post to\n", ""},
		{"post short id", cl("post", "--stream", "0x20ab", "--text", "hi"), "", 2,
			"error: --stream: \"0x20ab\" has 4 hex digits; " + expectID + "\n", ""},
		{"post non-hex id", cl("post", "--stream", "0x"+strings.Repeat("zz", 32), "--text", "hi"), "", 2,
			"error: --stream: \"0x" + strings.Repeat("zz", 32) + "\" is not hex; " + expectID + "\n", ""},
		{"post unknown stream type", cl("post", "--stream", "0x30"+strings.Repeat("00", 31), "--text", "hi"), "", 2,
			"error: --stream: unknown stream type 0x30; " + expectID + "\n", ""},
		{"post unknown flag", cl("post", "--stream", channel, "--txt", "hi"), "", 2,
			`(?s)^flag provided but not defined: -txt\nusage: node client \[--api URL\] \[--key FILE\] post .*error: flag provided but not defined: -txt\n$`, ""},

		// the other verbs
		{"join a user stream", cl("join", "--stream", user), "", 2,
			"error: " + user + " is a user stream, which has no members: a user stream takes an inception or a message\n", ""},
		{"create-channel in a channel", cl("create-channel", "--space", channel), "", 2,
			"error: --space " + channel + " is a channel stream, not a space\n", ""},
		{"read stray argument", cl("read", "--stream", channel, "extra"), "", 2,
			"error: read takes no arguments, got \"extra\"\n", ""},
		{"read --since not a number", cl("read", "--stream", channel, "--since", "yesterday"), "", 2,
			"error: --since \"yesterday\": want a miniblock number, 0 or more\n", ""},
		{"read unknown stream", cl("read", "--stream", "0x20"+strings.Repeat("00", 31)), "", 1,
			`^error: STREAM_NOT_FOUND: stream 0x20(00){31} not found\n$`, ""},
		// the node's own errors name ids, hashes and addresses as 0x and lower case
		{"post by a non-member", []string{"client", "--api", api, "--key", filepath.Join(t.TempDir(), "bob.key"), "post", "--stream", strings.ToUpper(channel[2:]), "--text", "hi"}, "", 1,
			"^error: PERMISSION_DENIED: 0x[0-9a-f]{40} is not a member of " + channel + "\n$", ""},
		{"miniblocks --since negative", cl("miniblocks", "--stream", channel, "--since", "-3"), "", 2,
			"error: --since \"-3\": want a miniblock number, 0 or more\n", ""},
		{"join stray argument", cl("join", "--stream", channel, "extra"), "", 2,
			"error: join takes no arguments, got \"extra\"\n", ""},
		{"leave without --stream", cl("leave"), "", 2,
			"error: --stream is required: the space, channel or DM\n", ""},
		{"tail stray argument", cl("tail", "--stream", channel, "extra"), "", 2,
			"error: tail takes no arguments, got \"extra\"\n", ""},
		{"tail --since negative", cl("tail", "--stream", channel, "--since", "-1"), "", 2,
			"error: --since \"-1\": want a miniblock number, 0 or more\n", ""},
		{"tail -h shows only its flags", cl("tail", "-h"), "", 0,
			`^usage: node client \[--api URL\] \[--key FILE\] tail --stream ID \[--since N\] \[--json\]\n  --give-up .*\n.*\n  --json .*\n.*\n  --since .*\n.*\n  --stream .*\n.*\n$`, ""},
		{"read --since", cl("read", "--stream", channel, "--since", "1"), "", 0, "", `(?s)^(\d+|pending) +0x[0-9a-f]{64} 0x[0-9a-f]{40} message`},
		{"miniblocks", cl("miniblocks", "--stream", channel, "--json"), "", 0, "", `^\{"num":0,"hash":"0x[0-9a-f]{64}"`},
		{"whoami", cl("whoami"), "", 0, "", `^address      0x[0-9a-f]{40}\nkey file     .*alice.key\nuser stream  0xa8[0-9a-f]{40}0{22}\n$`},
		{"no verb", []string{"client", "--api", api}, "", 2,
			"(?s)^usage: node client \\[--api URL\\] \\[--key FILE\\] VERB \\[flags\\]\nverbs .*\n  create-space .*  whoami .*\nerror: node client needs a verb\n$", ""},
		{"unknown verb", cl("frobnicate"), "", 2,
			"error: unknown verb \"frobnicate\"; the verbs are create-space, create-channel, join, leave, post, read, miniblocks, tail, whoami (node client -h)\n", ""},
		{"verb -h shows only its flags", cl("read", "-h"), "", 0,
			`^usage: node client \[--api URL\] \[--key FILE\] read --stream ID \[--since N\] \[--json\]\n  --json .*\n.*\n  --since .*\n.*\n  --stream .*\n.*\n$`, ""},

		// the node is not there, or not a node
		{"connection refused", []string{"client", "--api", deadAPI, "--key", key, "read", "--stream", channel}, "", 1,
			"error: no node is running at " + deadAPI[len("http://"):] + " (connection refused): start one with `node run --api " + deadAPI[len("http://"):] + "`, or point --api (NODE_CLIENT_API) at a running node\n", ""},
		{"api is the debug endpoint", []string{"client", "--api", n.debug, "--key", key, "read", "--stream", channel}, "", 1,
			"error: " + n.debug + " answers, but not as a node API (404 Not Found): --api must be the address a node serves its API on (`node run --api`), not its debug endpoint\n", ""},
		{"tail gives up", []string{"client", "--api", deadAPI, "--key", key, "tail", "--stream", channel, "--since", "0", "--give-up", "300ms"}, "", 1,
			`(?s)^tail: no node is running at .*; reconnecting in .*error: client: gave up reconnecting after 300ms: no node is running at 127\.0\.0\.1:\d+ \(connection refused\).*\n$`, ""},
		{"status", []string{"status", "--api", n.api}, "", 0, "", `(?s)^node      0x[0-9a-f]{40} at http://127.0.0.1:\d+\nversion   .*chain     memory: head \d+`},
		{"status --json", []string{"status", "--api", n.api, "--json"}, "", 0, "", `^\{"address":"0x[0-9a-f]{40}","version":"[^"]+".*"chain":"memory".*"max_event_bytes":65536`},
		{"status refused", []string{"status", "--api", deadAPI}, "", 1,
			"error: no node is running at " + deadAPI[len("http://"):] + " (connection refused): start one with `node run --api " + deadAPI[len("http://"):] + "`, or point --api (NODE_CLIENT_API) at a running node\n", ""},
		{"status stray argument", []string{"status", "--api", n.api, "extra"}, "", 2,
			"error: status takes no arguments, got \"extra\"\n", ""},
		{"version", []string{"version"}, "", 0, "", `^node \S+ \(commit .*\)\n$`},
		{"unknown command", []string{"frobnicate"}, "", 2, "^node: unknown command \"frobnicate\"\nusage:\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := node(t, tc.stdin, tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			if strings.HasPrefix(tc.stderr, "^") || strings.HasPrefix(tc.stderr, "(?s)") {
				require.Regexp(t, regexp.MustCompile(tc.stderr), r.stderr)
			} else {
				require.Equal(t, tc.stderr, r.stderr)
			}
			if tc.stdout == "" {
				require.Empty(t, r.stdout)
			} else {
				require.Regexp(t, regexp.MustCompile(tc.stdout), r.stdout)
			}
		})
	}

	// --since N starts at miniblock N: once the posts are sealed in block 1
	// or later, the genesis (inception, join) is left out.
	require.Eventually(t, func() bool {
		r := node(t, "", cl("read", "--stream", channel, "--json")...)
		return r.code == 0 && !strings.Contains(r.stdout, `"miniblock":null`)
	}, 20*time.Second, 20*time.Millisecond, "the posts are sealed")
	r = node(t, "", cl("read", "--stream", channel, "--since", "1", "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stdout, `"kind":"inception"`)
	require.Equal(t, 7, strings.Count(r.stdout, `"kind":"message"`))
	r = node(t, "", cl("miniblocks", "--stream", channel, "--since", "1", "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^\{"num":1,`, r.stdout)

	// Every accepted post is there, word for word; nothing refused is.
	r = node(t, "", cl("read", "--stream", channel, "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if m := regexp.MustCompile(`"kind":"message","text":"([^"]*)"`).FindStringSubmatch(line); m != nil {
			texts = append(texts, m[1])
		}
	}
	require.ElementsMatch(t, []string{"from --text", "from an argument", "from a file", "from stdin", "from stdin too", "upper-case id", "bare id"}, texts)
}

// The node checks its ports before it creates anything, and names the fix
// when another node holds the data dir.
func TestRunRefusals(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "fresh")
	r := node(t, "", "run", "--data-dir", dir, "--api", taken.Addr().String(), "--debug", freeAddr(t), "--chain", "memory")
	require.Equal(t, 1, r.code)
	a := taken.Addr().String()
	require.Equal(t, "error: --api "+a+": the address is in use (another node? `node status --api "+a+"`): stop it or pass --api with a free address; nothing was created\n", r.stderr)
	require.NoDirExists(t, dir, "a node that cannot serve must create nothing")

	r = node(t, "", "run", "--data-dir", dir, "--api", freeAddr(t), "--debug", taken.Addr().String(), "--chain", "memory")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "error: --debug "+a+": the address is in use")
	require.NoDirExists(t, dir)

	n := testNode(t)
	r = node(t, "", "run", "--data-dir", n.dataDir, "--api", freeAddr(t), "--debug", freeAddr(t), "--chain", "memory")
	require.Equal(t, 1, r.code)
	require.Equal(t, "error: data dir "+n.dataDir+" is in use by another node (its store is locked): stop that node or pass another --data-dir\n", r.stderr)
	resp, err := http.Get("http://" + n.debug + "/debug/actors")
	require.NoError(t, err, "the first node keeps serving")
	resp.Body.Close()
}
