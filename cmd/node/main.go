// Command node runs a stream node and talks to one.
//
//	node keygen --out FILE
//	node run [--data-dir DIR] [--key FILE] [--api ADDR] [--debug ADDR] [--chain embedded|memory|URL] [--block-time D]
//	node devchain [--rpc ADDR] [--block-time D] [--data-dir DIR]
//	node contracts deploy --chain URL --key FILE [--out FILE] [--open-registration]
//	node register --chain URL --key FILE (--chain.deployment FILE | --chain.stream-registry ADDR) [--approve ADDR]
//	node client [--api URL] [--key FILE] VERB [flags]
//
// Every flag has an environment mirror: NODE_ and the flag name in upper
// case with dashes and dots as underscores (NODE_DATA_DIR, NODE_BLOCK_TIME, ...);
// client flags use NODE_CLIENT_ (NODE_CLIENT_API, NODE_CLIENT_KEY).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
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
  node client [--api URL] [--key FILE] VERB [flags]
      create-space                       create a space, print its id
      create-channel --space ID          create a channel in a space, print its id
      join --stream ID                   join a space or channel
      leave --stream ID                  leave a space or channel
      post --stream ID --text T          post a message, print its hash
      read --stream ID [--json]          events in order (miniblock null while pending)
      miniblocks --stream ID [--json]    miniblock headers, one a line
      tail --stream ID                   follow new events and miniblocks
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "keygen":
		err = keygen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	case "devchain":
		err = runDevchain(os.Args[2:])
	case "contracts":
		err = contracts(os.Args[2:])
	case "register":
		err = registerCmd(os.Args[2:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "node: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the flag set printed its usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", errorLine(err))
		os.Exit(1)
	}
}
