// Command node runs a stream node and talks to one.
//
//	node keygen --out FILE
//	node run [--data-dir DIR] [--key FILE] [--api ADDR] [--debug ADDR] [--chain embedded|memory|URL] [--block-time D]
//	node devchain [--rpc ADDR] [--block-time D] [--data-dir DIR]
//	node status [--api URL] [--json]
//	node version
//	node client [--api URL] [--key FILE] VERB [flags]
//
// Every flag has an environment mirror: NODE_ and the flag name in upper
// case with dashes as underscores (NODE_DATA_DIR, NODE_BLOCK_TIME, ...);
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
  node status [--api URL] [--json]       what the node at URL is doing
  node version                           version and commit of this binary
  node client [--api URL] [--key FILE] VERB [flags]   (node client VERB -h for a verb's flags)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage+client.Verbs())
		os.Exit(client.ExitUsage)
	}
	var err error
	switch os.Args[1] {
	case "keygen":
		err = keygen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "client":
		err = clientCmd(os.Args[2:])
	case "status":
		err = statusCmd(os.Args[2:])
	case "version":
		fmt.Println("node", buildinfo.Get())
		return
	case "devchain":
		err = runDevchain(os.Args[2:])
	case "help", "-h", "--help":
		fmt.Print(usage + client.Verbs())
		return
	default:
		fmt.Fprintf(os.Stderr, "node: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(client.ExitUsage)
	}
	code := client.ExitCode(err)
	if err != nil && code != client.ExitOK {
		fmt.Fprintln(os.Stderr, "error:", errorLine(err))
	}
	os.Exit(code)
}

// errorLine is how an error is printed: "CODE: message" for protocol errors.
func errorLine(err error) string { return client.ErrorLine(err) }
