package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// The error-code table of docs/protocol.md ("Error codes") is checked here
// against what the API really answers: for every pb.ErrorCode, an error
// with that code goes through toConnect on the real server (rpc.Serve),
// and the test reads the Connect code, the HTTP status a Connect/JSON
// client sees, the gRPC status a gRPC client over h2c sees, and the
// project code in the pb.Error detail. The table must list every code
// once with exactly those values, so it cannot drift from errors.go.

const errTableBegin, errTableEnd = "<!-- error-codes:begin -->", "<!-- error-codes:end -->"

type errRow struct {
	code    pb.ErrorCode
	connect connect.Code
	http    int
}

func (r errRow) cells() string {
	return fmt.Sprintf("| `%s` | %d | `%s` (%d) | %d |", r.code, int32(r.code), r.connect, uint32(r.connect), r.http)
}

// failingServer serves one unary method that fails with the project code
// named in the X-Code header, as the service's handlers do.
func failingServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/towns.test.Errors/Fail", connect.NewUnaryHandler("/towns.test.Errors/Fail",
		func(_ context.Context, req *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			n, err := strconv.Atoi(req.Header().Get("X-Code"))
			if err != nil {
				return nil, err
			}
			return nil, toConnect(streams.Errorf(pb.ErrorCode(n), "failing with %s", pb.ErrorCode(n)))
		}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := Serve(ln, mux)
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func measuredRows(t *testing.T) []errRow {
	url := failingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: &p}}
	defer h2c.CloseIdleConnections()
	grpcClient := connect.NewClient[emptypb.Empty, emptypb.Empty](h2c, url+"/towns.test.Errors/Fail", connect.WithGRPC())

	var codes []pb.ErrorCode
	for n := range pb.ErrorCode_name {
		if n != int32(pb.ErrorCode_OK) {
			codes = append(codes, pb.ErrorCode(n))
		}
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	var rows []errRow
	for _, c := range codes {
		// Connect protocol, JSON, as curl or a browser would send it.
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/towns.test.Errors/Fail", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Code", strconv.Itoa(int(c)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body struct {
			Code    string `json:"code"`
			Details []struct {
				Type string `json:"type"`
			} `json:"details"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		var cc connect.Code
		require.NoError(t, cc.UnmarshalText([]byte(body.Code)), "%s: code %q", c, body.Code)
		require.Len(t, body.Details, 1, "%s: one pb.Error detail", c)
		require.Equal(t, "towns.v1.Error", body.Details[0].Type, c.String())

		// gRPC over cleartext HTTP/2: the same Connect code as grpc-status,
		// and the project code in the detail.
		r := connect.NewRequest(&emptypb.Empty{})
		r.Header().Set("X-Code", strconv.Itoa(int(c)))
		_, gerr := grpcClient.CallUnary(ctx, r)
		require.Equal(t, cc, connect.CodeOf(gerr), "%s over gRPC", c)
		got, _ := ErrorCode(gerr)
		require.Equal(t, c, got, "%s: the pb.Error detail carries the project code over gRPC", c)

		rows = append(rows, errRow{code: c, connect: cc, http: resp.StatusCode})
	}
	return rows
}

func TestErrorCodeTable(t *testing.T) {
	rows := measuredRows(t)
	doc, err := os.ReadFile("../docs/protocol.md")
	require.NoError(t, err)
	text := string(doc)
	b, e := strings.Index(text, errTableBegin), strings.Index(text, errTableEnd)
	require.True(t, b >= 0 && e > b, "docs/protocol.md lacks the %s ... %s table", errTableBegin, errTableEnd)
	documented := map[string]string{} // first four cells -> when
	seen := map[string]int{}
	for _, line := range strings.Split(text[b+len(errTableBegin):e], "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.Len(t, cells, 5, "row %q: code | number | Connect | HTTP | when", line)
		key := "|" + strings.Join(cells[:4], "|") + "|"
		documented[key] = strings.TrimSpace(cells[4])
		seen[strings.TrimSpace(cells[0])]++
	}
	var want []string
	for _, r := range rows {
		want = append(want, r.cells())
	}
	for _, r := range rows {
		when, ok := documented[r.cells()]
		require.True(t, ok, "docs/protocol.md error table: no row %q (measured rows:\n%s)", r.cells(), strings.Join(want, "\n"))
		require.NotEmpty(t, when, "%s: say when it is returned", r.code)
		require.Equal(t, 1, seen["`"+r.code.String()+"`"], "%s listed once", r.code)
	}
	require.Len(t, documented, len(rows), "the table lists exactly the codes of pb.ErrorCode (OK aside)")
}
