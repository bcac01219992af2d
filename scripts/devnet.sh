#!/usr/bin/env bash
# devnet.sh start N | stop | status
#
# start: runs the EVM devchain (`node devchain`) and N node processes on
# loopback, each with its own data dir under $DEVNET_DIR and its own API and
# debug ports, no peer flags; waits until every node answers `node status`,
# then prints the API addresses and writes them to $DEVNET_DIR/nodes.txt (one
# a line) and $DEVNET_DIR/nodes.json.
# stop: ends the processes start recorded in $DEVNET_DIR/pids (SIGTERM, then
# SIGKILL after 10 s), nothing else.
#
# Environment: DEVNET_DIR (./devnet), DEVNET_PORT (7200: node i serves its
# API on PORT+2i and debug on PORT+2i+1), DEVNET_P2P_PORT (7300: node i
# listens for peers on TCP and QUIC P2P_PORT+i), DEVNET_CHAIN (127.0.0.1:8545),
# DEVNET_BLOCK_TIME (1s), NODE_BIN (bin/node), NODE_ARGS (extra `node run`
# flags for every node).
set -euo pipefail

DIR=${DEVNET_DIR:-devnet}
PORT=${DEVNET_PORT:-7200}
P2P_PORT=${DEVNET_P2P_PORT:-7300}
CHAIN=${DEVNET_CHAIN:-127.0.0.1:8545}
BLOCK_TIME=${DEVNET_BLOCK_TIME:-1s}
BIN=${NODE_BIN:-bin/node}
PIDS=$DIR/pids

die() { echo "devnet: $*" >&2; exit 1; }

# port_free ADDR: nothing listens on ADDR.
port_free() { ! (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# wait_for WHAT LOG CMD...: run CMD until it succeeds, for 60 s.
wait_for() {
	local what=$1 log=$2; shift 2
	for _ in $(seq 1 600); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "devnet: $what did not come up; last lines of $log:" >&2
	tail -n 20 "$log" >&2 || true
	return 1
}

spawn() { # spawn LOG CMD...: start CMD detached, record its pid
	local log=$1; shift
	setsid nohup "$@" >"$log" 2>&1 </dev/null &
	echo $! >>"$PIDS"
}

start() {
	local n=$1
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
	[[ -x $BIN ]] || die "$BIN not found: run make build"
	if [[ -s $PIDS ]]; then die "a devnet is already running ($PIDS): make devnet-stop first"; fi
	# Every port is checked before anything starts.
	port_free "$CHAIN" || die "chain address $CHAIN is in use: set DEVNET_CHAIN"
	for i in $(seq 1 "$n"); do
		for p in $((PORT + 2 * i)) $((PORT + 2 * i + 1)); do
			port_free "127.0.0.1:$p" || die "port $p (node $i) is in use: set DEVNET_PORT"
		done
		port_free "127.0.0.1:$((P2P_PORT + i))" || die "p2p port $((P2P_PORT + i)) (node $i) is in use: set DEVNET_P2P_PORT"
	done
	mkdir -p "$DIR"
	: >"$PIDS"
	trap 'echo "devnet: start failed; stopping what started" >&2; stop' ERR

	spawn "$DIR/devchain.log" "$BIN" devchain --rpc "$CHAIN" --block-time "$BLOCK_TIME" --data-dir "$DIR/devchain"
	wait_for "the devchain at $CHAIN" "$DIR/devchain.log" \
		curl -sf -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "http://$CHAIN"

	local apis=()
	for i in $(seq 1 "$n"); do
		local api=127.0.0.1:$((PORT + 2 * i)) debug=127.0.0.1:$((PORT + 2 * i + 1))
		local p2p=$((P2P_PORT + i))
		# shellcheck disable=SC2086 # NODE_ARGS is a list of flags
		spawn "$DIR/node$i.log" "$BIN" run --chain "http://$CHAIN" --block-time "$BLOCK_TIME" \
			--data-dir "$DIR/node$i" --api "$api" --debug "$debug" \
			--p2p.listen "/ip4/127.0.0.1/tcp/$p2p,/ip4/127.0.0.1/udp/$p2p/quic-v1" ${NODE_ARGS:-}
		apis+=("$api")
	done
	for i in $(seq 1 "$n"); do
		wait_for "node $i" "$DIR/node$i.log" "$BIN" status --api "${apis[i - 1]}"
	done
	trap - ERR

	printf '%s\n' "${apis[@]}" >"$DIR/nodes.txt"
	{
		echo '{"chain": "http://'"$CHAIN"'", "nodes": ['
		for i in $(seq 1 "$n"); do
			local sep=,
			[[ $i == "$n" ]] && sep=
			echo '  {"name": "node'"$i"'", "api": "'"${apis[i - 1]}"'", "debug": "127.0.0.1:'$((PORT + 2 * i + 1))'", "data_dir": "'"$DIR/node$i"'"}'$sep
		done
		echo ']}'
	} >"$DIR/nodes.json"
	echo "devnet: devchain at http://$CHAIN and $n nodes; API addresses (also in $DIR/nodes.txt, $DIR/nodes.json):"
	printf '  %s\n' "${apis[@]}"
	echo "devnet: logs in $DIR/*.log; make devnet-stop ends it"
}

stop() {
	[[ -s $PIDS ]] || { echo "devnet: nothing to stop ($PIDS is empty or absent)"; return 0; }
	local pids
	mapfile -t pids <"$PIDS"
	# Nodes first (reverse order of start), the devchain last.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "devnet: $pid did not stop after SIGTERM; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -f "$PIDS"
	echo "devnet: stopped ${#pids[@]} processes (data kept in $DIR; rm -rf $DIR for a fresh devnet)"
}

case ${1:-} in
start) start "${2:-4}" ;;
stop) stop ;;
status)
	[[ -s $DIR/nodes.txt ]] || die "no devnet ($DIR/nodes.txt absent)"
	while read -r api; do "$BIN" status --api "$api" || true; echo; done <"$DIR/nodes.txt"
	;;
*) die "usage: devnet.sh start [N] | stop | status" ;;
esac
