package streams

import (
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
)

// Where a person reads an id, hash or address (an error a client gets, a
// log line) it is written one way: 0x and lower-case hex. String() stays
// without 0x: it names topics and actors and keys maps.

// Format prints the id as 0x and lower-case hex for %s and %v; %x prints
// the bare hex digits (as String), %#x with 0x.
func (id StreamID) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'x' && !f.Flag('#'):
		_, _ = fmt.Fprint(f, id.String())
	case verb == 's' || verb == 'v' || verb == 'x' || verb == 'q':
		s := "0x" + id.String()
		if verb == 'q' {
			s = `"` + s + `"`
		}
		_, _ = fmt.Fprint(f, s)
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(StreamID=0x%s)", verb, id.String())
	}
}

// LogValue makes slog print the id as 0x and lower-case hex.
func (id StreamID) LogValue() slog.Value { return slog.StringValue("0x" + id.String()) }

// hexArg is a byte string an error message prints as 0x and lower-case
// hex, whichever of %s, %v or %x the format uses.
type hexArg []byte

func (h hexArg) Format(f fmt.State, verb rune) {
	switch verb {
	case 's', 'v', 'x', 'X':
		_, _ = fmt.Fprint(f, "0x"+hex.EncodeToString(h))
	default:
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), []byte(h))
	}
}

// humanArgs gives Errorf's byte strings, hashes and addresses the one form
// a person reads: without it %x of bytes drops the 0x and %s of an
// address mixes case (EIP-55).
func humanArgs(args []any) []any {
	out := args
	for i, a := range args {
		var h hexArg
		switch v := a.(type) {
		case []byte:
			h = v
		case common.Hash:
			h = v[:]
		case common.Address:
			h = v[:]
		case *common.Address:
			if v == nil {
				continue
			}
			h = v[:]
		default:
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = h
	}
	return out
}
