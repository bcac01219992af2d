// Command node runs a stream node and talks to one.
//
//	node keygen --out FILE
//	node run [--data-dir DIR] [--key FILE] [--api ADDR] [--debug ADDR] [--chain embedded|memory|URL] [--block-time D]
//	node devchain [--rpc ADDR] [--block-time D] [--data-dir DIR]
//	node contracts deploy --chain URL --key FILE [--out FILE] [--open-registration]
//	node register --chain URL --key FILE (--chain.deployment FILE | --chain.stream-registry ADDR) [--approve ADDR]
//	node status [--api URL] [--json]
//	node version
//	node client [--api URL] [--key FILE] VERB [flags]
//	node loadgen --api ADDR[,ADDR...] --streams N --rate R --duration D [--state FILE] [--batch N]
//
// Every flag has an environment mirror: NODE_ and the flag name in upper
// case with dashes and dots as underscores (NODE_DATA_DIR, NODE_BLOCK_TIME, ...);
// client flags use NODE_CLIENT_ (NODE_CLIENT_API, NODE_CLIENT_KEY).
package main

import (
	"fmt"
	"os"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/internal/buildinfo"
)

const usage = `usage:
  node keygen --out FILE                 create a key file, print its address
  node run [flags]                       run a node (node run -h for flags)
  node devchain [--rpc ADDR] [--block-time D] [--data-dir DIR]
                                         run the EVM devchain alone; nodes use --chain http://ADDR
  node contracts deploy --chain URL --key FILE [--out FILE] [--open-registration]
                                         deploy both registries on any EVM chain, print their
                                         addresses, write a deployment file for --chain.deployment
  node register --chain URL --key FILE --chain.deployment FILE [--approve ADDR]
                                         register the key's node account (or, as the registry
                                         owner, approve ADDR) on a chain that is not the devchain
  node status [--api URL] [--json]       what the node at URL is doing
  node version                           version and commit of this binary
  node client [--api URL] [--key FILE] VERB [flags]   (node client VERB -h for a verb's flags)
  node loadgen --api ADDR[,ADDR...] --streams N --rate R --duration D [--state FILE] [--batch N]
                                         post at a target rate over N channels; live figures,
                                         JSON at the end (node loadgen -h)
`

func main() {
	os.Exit(realMain(os.Args[1:], client.StdIO()))
}

// realMain runs the command line and returns the exit status: 0, 1 when the
// node refused or failed (or could not be reached), 2 for bad input.
func realMain(args []string, std client.IO) int {
	if len(args) < 1 {
		fmt.Fprint(std.Stderr, usage+client.Verbs())
		return client.ExitUsage
	}
	var err error
	switch args[0] {
	case "keygen":
		err = keygen(args[1:])
	case "run":
		err = run(args[1:])
	case "client":
		err = clientCmd(args[1:], std)
	case "status":
		err = statusCmd(args[1:], std)
	case "loadgen":
		err = loadgenCmd(args[1:], std)
	case "version":
		fmt.Fprintln(std.Stdout, "node", buildinfo.Get())
	case "devchain":
		err = runDevchain(args[1:])
	case "contracts":
		err = contracts(args[1:])
	case "register":
		err = registerCmd(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(std.Stdout, usage+client.Verbs())
	default:
		fmt.Fprintf(std.Stderr, "node: unknown command %q\n%s", args[0], usage)
		return client.ExitUsage
	}
	code := client.ExitCode(err)
	if code != client.ExitOK {
		fmt.Fprintln(std.Stderr, "error:", errorLine(err))
	}
	return code
}

// errorLine is how an error is printed: "CODE: message" for protocol errors.
func errorLine(err error) string { return client.ErrorLine(err) }
