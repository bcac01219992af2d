package client

import (
	"fmt"
	"io"
	"time"

	"github.com/towns-node/node/proto/pb"
)

// StatusLine is `node status --json`: the StatusResponse with ids in the
// human form (FormatHex) and durations in milliseconds.
type StatusLine struct {
	Address               string `json:"address"`
	Version               string `json:"version"`
	Commit                string `json:"commit"`
	StartedAtMs           int64  `json:"started_at_ms"`
	UptimeMs              int64  `json:"uptime_ms"`
	DataDir               string `json:"data_dir"`
	Chain                 string `json:"chain"`
	ChainHead             uint64 `json:"chain_head"`
	ChainHeadTime         uint64 `json:"chain_head_time"`
	ChainError            string `json:"chain_error,omitempty"`
	BlockTimeMs           int64  `json:"block_time_ms"`
	MaxEventBytes         uint32 `json:"max_event_bytes"`
	LiveStreams           uint32 `json:"live_streams"`
	Leaders               uint32 `json:"leaders"`
	MinipoolEvents        uint64 `json:"minipool_events"`
	BehindStreams         uint32 `json:"behind_streams"`
	RegistrationsInFlight uint32 `json:"registrations_in_flight"`
	RegistrationBatches   uint64 `json:"registration_batches"`
}

func statusJSON(s *pb.StatusResponse) StatusLine {
	return StatusLine{
		Address: FormatHex(s.Address), Version: s.Version, Commit: s.Commit,
		StartedAtMs: s.StartedAtMs, UptimeMs: s.UptimeMs, DataDir: s.DataDir,
		Chain: s.Chain, ChainHead: s.ChainHead, ChainHeadTime: s.ChainHeadTime, ChainError: s.ChainError,
		BlockTimeMs: s.BlockTimeMs, MaxEventBytes: s.MaxEventBytes,
		LiveStreams: s.LiveStreams, Leaders: s.Leaders, MinipoolEvents: s.MinipoolEvents,
		BehindStreams: s.BehindStreams, RegistrationsInFlight: s.RegistrationsInFlight,
		RegistrationBatches: s.RegistrationBatches,
	}
}

func printStatus(w io.Writer, api string, s *pb.StatusResponse) {
	commit := s.Commit
	if commit == "" {
		commit = "unknown"
	}
	up := (time.Duration(s.UptimeMs) * time.Millisecond).Round(time.Second)
	fmt.Fprintf(w, "node      %s at %s\n", FormatHex(s.Address), api)
	fmt.Fprintf(w, "version   %s (commit %s), up %s, data in %s\n", s.Version, commit, up, s.DataDir)
	if s.ChainError != "" {
		fmt.Fprintf(w, "chain     %s: head unknown (%s)\n", s.Chain, s.ChainError)
	} else {
		age := time.Since(time.Unix(int64(s.ChainHeadTime), 0)).Round(time.Second)
		fmt.Fprintf(w, "chain     %s: head %d (%s ago), block time %s\n", s.Chain, s.ChainHead, age, time.Duration(s.BlockTimeMs)*time.Millisecond)
	}
	fmt.Fprintf(w, "streams   %d live, %d events waiting in minipools, %d producing a miniblock, %d behind\n",
		s.LiveStreams, s.MinipoolEvents, s.Leaders, s.BehindStreams)
	fmt.Fprintf(w, "chain-writer %d registrations in flight, %d batches since start\n", s.RegistrationsInFlight, s.RegistrationBatches)
	fmt.Fprintf(w, "limits    events up to %d bytes\n", s.MaxEventBytes)
}
