#!/usr/bin/env bash
# bench-devnet: replicated ingest on a devnet of three node processes at
# k=3, next to the signature ceiling divided by 3.
#
#   scripts/bench-devnet.sh [STREAMS:RATE:DURATION ...]
#
# For each block time of BENCH_DEVNET_BLOCK_TIMES and each stream count the
# shapes name, a fresh devnet: scripts/devnet.sh starts the EVM devchain
# (`node devchain`) and 3 node processes on 127.0.0.1; the script waits
# until each node is connected to the other two and reports 3 active
# registered nodes (GetNetworkInfo maxReplicationFactor 3, so the loadgen's
# default replication of 3 puts every stream on all three nodes), creates
# the STREAMS channels (`node loadgen --create-only`, round-robin over the
# three APIs) and waits until every node hosts every one of them; a 10 s
# warm-up posts about twice to every stream. Then, per shape, `node loadgen
# --api A1,A2,A3 --streams S --rate R --duration D` runs in its own process
# (each stream posted at the node that created it, so the posts are spread
# evenly over the three).
#
# Reported per shape: acked/s, errors by code, ack p50/p99/p999, sealed
# p50/p99 in block times (loadgen); each node's CPU (utime+stime from
# /proc/PID/stat, from the end of the loadgen's signing to its exit: the
# posting and the seal wait), the devchain's and the loadgen's (whole run,
# signing included); events per node CPU-second (acked over the three
# nodes' CPU). The signature ceiling (recoveries per CPU-second of one core,
# BenchmarkRawEcrecover timed by its CPU time, as bench-scale.sh and
# bench-cpu.sh do) is measured before and after the shapes; an event is
# recovered on each of the 3 replicas, so the devnet's ceiling is
# nproc x ceiling / 3 events/s and rec/3 events per node CPU-second, and
# each figure is given as a share of it.
#
# The devnet's idle cost (node CPU over BENCH_DEVNET_IDLE seconds with the
# streams hosted and no post) is measured once per devnet and given
# next to each shape's events per node CPU-second.
#
# Knobs (environment): BENCH_DEVNET_DIR (default /tmp/bench-devnet; the
# devnet of block time BT and S streams lives in DIR/devnet-BT-S and is
# removed at start), BENCH_DEVNET_SHAPES ("64:1000:30s 1000:1000:30s"
# unless given as arguments), BENCH_DEVNET_BLOCK_TIMES ("1s"),
# BENCH_DEVNET_IDLE (10), BENCH_DEVNET_PROFILE (seconds of node 1's CPU
# profile taken at the start of each shape's posts, into RUN_DIR/node1.pprof;
# 0, the default: none), BENCH_DEVNET_BIN (a prebuilt node binary instead of
# building this tree's), BENCH_DEVNET_LOADGEN (extra loadgen flags),
# DEVNET_PORT (17800: node i API on PORT+2i, debug on PORT+2i+1),
# DEVNET_P2P_PORT (17850), DEVNET_CHAIN (127.0.0.1:17899), NODE_ARGS (extra
# `node run` flags, default --log-level warn). The devnet and the devchain
# are stopped on exit, error or signal. Figures go to DIR/results.txt and
# stdout. Hold the bench lock:
#   setsid -w flock /tmp/bench.lock -c 'scripts/bench-devnet.sh'
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DEVNET_DIR:-/tmp/bench-devnet}
if [ $# -gt 0 ]; then SHAPES=$*; else SHAPES=${BENCH_DEVNET_SHAPES:-64:1000:30s 1000:1000:30s}; fi
BLOCK_TIMES=${BENCH_DEVNET_BLOCK_TIMES:-1s}
IDLE=${BENCH_DEVNET_IDLE:-10}
PROFILE=${BENCH_DEVNET_PROFILE:-0}
N=3
export DEVNET_PORT=${DEVNET_PORT:-17800}
export DEVNET_P2P_PORT=${DEVNET_P2P_PORT:-17850}
export DEVNET_CHAIN=${DEVNET_CHAIN:-127.0.0.1:17899}
export NODE_ARGS=${NODE_ARGS:---log-level warn}
export NODE_BIN=$DIR/node
DEVNET=$PWD/scripts/devnet.sh

die() { echo "bench-devnet: $*" >&2; exit 1; }
[[ $DEVNET_CHAIN == 127.0.0.1:* ]] || die "DEVNET_CHAIN must be on 127.0.0.1, got $DEVNET_CHAIN"
for sh in $SHAPES; do
	[[ $sh =~ ^[1-9][0-9]*:[0-9.]+:[0-9]+(ms|s|m)$ ]] || die "shape '$sh' is not STREAMS:RATE:DURATION (e.g. 64:1000:30s)"
done

mkdir -p "$DIR"
OUT=$DIR/results.txt
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

# Stop whatever this run started, whatever way it ends.
lg_pid=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$lg_pid" ] && kill -0 "$lg_pid" 2>/dev/null; then
		kill "$lg_pid" 2>/dev/null || true
		wait "$lg_pid" 2>/dev/null || true
	fi
	if [ -n "${DEVNET_DIR:-}" ] && [ -s "$DEVNET_DIR/pids" ]; then
		"$DEVNET" stop >&2 || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${BENCH_DEVNET_BIN:-}" ]; then
	cp "$BENCH_DEVNET_BIN" "$NODE_BIN"
else
	go build -o "$NODE_BIN" ./cmd/node
fi
go test -c -o "$DIR/streams.test" ./streams/

ticks=$(getconf CLK_TCK)
cores=$(nproc)
cpu() { awk -v t="$ticks" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
children_cpu() { awk -v t="$ticks" '{printf "%.2f", ($16+$17)/t}' "/proc/$$/stat"; } # reaped children of this shell
ceiling() { # recoveries per CPU-second of one core
	local n=40000 c
	c=$(cd streams && /usr/bin/time -f "%U %S" "$DIR/streams.test" -test.run '^$' -test.bench 'BenchmarkRawEcrecover$' \
		-test.benchtime ${n}x 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}')
	awk -v n=$n -v c="$c" 'BEGIN{printf "%.0f", n/c}'
}
debug_api() { curl -fsS --max-time 5 "http://127.0.0.1:$((DEVNET_PORT + 2 * $1 + 1))/debug/api/"; }
api_field() { debug_api "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"; }
api_field_peers() { api_field "$1" peers; }
api_field_hosted() { api_field "$1" hosted_streams; }
max_rf() {
	curl -fsS --max-time 5 -H 'Content-Type: application/json' -d '{}' \
		"http://127.0.0.1:$((DEVNET_PORT + 2 * $1))/towns.v1.StreamService/GetNetworkInfo" |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get("maxReplicationFactor", 0))'
}
minipool() { "$NODE_BIN" status --api "127.0.0.1:$((DEVNET_PORT + 2 * $1))" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["minipool_events"])'; }
# wait_nodes WHAT SECONDS FN WANT [soft]: until FN i prints WANT (or more)
# at every node; past SECONDS fatal, or with soft a line and status 1.
# have holds what FN printed last, node by node.
wait_nodes() {
	local what=$1 secs=$2 fn=$3 want=$4 soft=${5:-} end=$((SECONDS + $2))
	while :; do
		have=
		for i in $(seq $N); do have="$have $($fn "$i" 2>/dev/null || echo '?')"; done
		if awk -v w="$want" '{for (i = 1; i <= NF; i++) if ($i == "?" || $i + 0 < w) exit 1}' <<<"$have"; then return 0; fi
		[ $SECONDS -ge $end ] && break
		sleep 1
	done
	[ -n "$soft" ] || die "$what: want $want at every node, have$have after ${secs}s"
	say "  ($what: want $want at every node, have$have after ${secs}s)"
	return 1
}
wait_drained() { # every minipool empty, for up to 60 s
	local got end=$((SECONDS + 60))
	while :; do
		got=
		for i in $(seq $N); do got="$got $(minipool "$i" 2>/dev/null || echo '?')"; done
		[ "$(tr -d ' 0' <<<"$got")" = "" ] && return 0
		[ $SECONDS -ge $end ] && break
		sleep 1
	done
	say "  (minipools not empty after 60 s:$got)"
}

rec0=$(ceiling)
say "bench-devnet $(date -u +%FT%TZ) ${BENCH_DEVNET_BIN:-$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo -modified)} nproc=$cores load: $(cut -d' ' -f1-3 /proc/loadavg); $N nodes at k=3, block times $BLOCK_TIMES, shapes (streams:rate:duration) $SHAPES"
say "signature ceiling (before): $rec0 recoveries per CPU-second of one core (BenchmarkRawEcrecover, CPU time)"

# setup BT S: a fresh devnet of block time BT with S channels at k=3,
# warmed up; its idle cost in idle (cores).
setup() {
	local BT=$1 maxs=$2 t0 t1 try i0 i1 p
	export DEVNET_DIR=$DIR/devnet-$BT-$maxs DEVNET_BLOCK_TIME=$BT
	if [ -s "$DEVNET_DIR/pids" ]; then # left by a run that could not stop it: stop only processes of this dir
		while read -r p; do
			if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DEVNET_DIR/"; then kill -TERM "$p" 2>/dev/null || true; fi
		done <"$DEVNET_DIR/pids"
		sleep 2
	fi
	rm -rf "$DEVNET_DIR"
	"$DEVNET" start $N >"$DIR/devnet-start.log"
	mapfile -t pids <"$DEVNET_DIR/pids" # the devchain, then node 1..N
	for p in "${pids[@]}"; do [ "$(cat "/proc/$p/comm")" = node ] || die "pid $p of $DEVNET_DIR/pids is not a node process"; done
	APIS=$(paste -sd, "$DEVNET_DIR/nodes.txt")
	wait_nodes "peers connected" 120 api_field_peers $((N - 1))
	wait_nodes "active registered nodes (GetNetworkInfo maxReplicationFactor)" 120 max_rf $N
	state=$DEVNET_DIR/state.json
	t0=$(date +%s.%N)
	for try in 1 2 3; do
		if "$NODE_BIN" loadgen --api "$APIS" --streams "$maxs" --create-only --concurrency 64 --report 10s --state "$state" \
			>"$DEVNET_DIR/create.json" 2>"$DEVNET_DIR/create.log"; then
			break
		fi
		[ "$try" = 3 ] && { tail -n 5 "$DEVNET_DIR/create.log" >&2; die "creating $maxs streams failed 3 times"; }
		sleep 2
	done
	t1=$(date +%s.%N)
	# Every node should host every stream (and the three spaces). A replica
	# whose adoption of a new stream failed (its load found no replica
	# serving the genesis yet) tries again only when the stream is next
	# used: the warm-up's posts do that.
	wait_nodes "streams hosted (adopted) at every node" 30 api_field_hosted $((maxs + N)) soft || true
	say "$BT, $maxs streams: devnet up, $maxs channels at k=3 created in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s; after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s the nodes host$have of $((maxs + N)) (channels and spaces)"
	# Warm-up: about two posts per stream over 10 s, so that every stream has
	# made its first blocks at all three replicas before a measured shape.
	"$NODE_BIN" loadgen --api "$APIS" --streams "$maxs" --rate "$(((maxs / 5) > 20 ? maxs / 5 : 20))" --duration 10s --block-time "$BT" \
		--state "$state" --report 100s >"$DEVNET_DIR/warmup.json" 2>"$DEVNET_DIR/warmup.log" ||
		say "$BT, $maxs streams: warm-up loadgen failed: $(tail -n 1 "$DEVNET_DIR/warmup.log")"
	say "$BT, $maxs streams: warm-up: $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("acked %d of %d, errors %s" % (r["acked"], r["sent"], r["errors"] or "none"))' "$DEVNET_DIR/warmup.json" 2>/dev/null || echo 'no result')"
	wait_nodes "streams hosted (adopted) at every node after the warm-up" 60 api_field_hosted $((maxs + N)) soft || true
	say "$BT, $maxs streams: after the warm-up the nodes host$have of $((maxs + N))"
	wait_drained
	# What the devnet costs with no post: the baseline under every shape.
	sleep 5
	i0=()
	for p in "${pids[@]}"; do i0+=("$(cpu "$p")"); done
	sleep "$IDLE"
	i1=()
	for p in "${pids[@]}"; do i1+=("$(cpu "$p")"); done
	idle=$(awk -v a="${i0[*]}" -v b="${i1[*]}" -v s="$IDLE" 'BEGIN{n = split(a, x); split(b, y); for (i = 2; i <= n; i++) t += y[i] - x[i]; printf "%.3f", t / s}')
	say "$BT, $maxs streams: idle ($IDLE s, no post): 3 nodes $idle cores, devchain $(awk -v a="${i0[0]}" -v b="${i1[0]}" -v s="$IDLE" 'BEGIN{printf "%.3f", (b - a) / s}') cores"
}

# run_shape BT STREAMS:RATE:DURATION on the devnet setup made.
run_shape() {
	local BT=$1 sh=$2 S R D w l0 l1 c0 c1 w0 w1 lc0 lc1 lgrc p
	IFS=: read -r S R D <<<"$sh"
	wait_drained
	w=$DIR/run-$BT-$S-$R-$D
	mkdir -p "$w"
	l0=$(cut -d' ' -f1 /proc/loadavg)
	# shellcheck disable=SC2086 # BENCH_DEVNET_LOADGEN is a list of flags
	"$NODE_BIN" loadgen --api "$APIS" --streams "$S" --rate "$R" --duration "$D" --block-time "$BT" --state "$state" \
		--report 10s ${BENCH_DEVNET_LOADGEN:-} >"$w/load.json" 2>"$w/load.log" &
	lg_pid=$!
	# The node CPU window opens when the posts are signed (the loadgen
	# signs them all before the first post; the nodes idle meanwhile).
	until grep -q 'signed' "$w/load.log" 2>/dev/null || ! kill -0 "$lg_pid" 2>/dev/null; do sleep 0.05; done
	c0=()
	for p in "${pids[@]}"; do c0+=("$(cpu "$p")"); done
	w0=$(date +%s.%N)
	if [ "$PROFILE" -gt 0 ]; then # node 1's CPU profile over the first PROFILE seconds of the posts
		curl -fsS "http://127.0.0.1:$((DEVNET_PORT + 3))/debug/pprof/profile?seconds=$PROFILE" -o "$w/node1.pprof" 2>/dev/null &
	fi
	lc0=$(children_cpu)
	lgrc=0
	wait "$lg_pid" || lgrc=$?
	lg_pid=
	lc1=$(children_cpu)
	w1=$(date +%s.%N)
	c1=()
	for p in "${pids[@]}"; do c1+=("$(cpu "$p")"); done
	l1=$(cut -d' ' -f1 /proc/loadavg)
	grep -v 'signed\|streams (' "$w/load.log" | sed "s/^/  $BT $S:$R /" | tee -a "$OUT"
	if [ "$lgrc" != 0 ]; then
		say "  $BT $S:$R:$D: loadgen failed (exit $lgrc): $(tail -n 1 "$w/load.log")"
		return 0
	fi
	python3 - "$w/load.json" "$BT" "$sh" "$w0" "$w1" "$rec0" "$cores" "$l0" "$l1" "$lc0" "$lc1" "${c0[*]}" "${c1[*]}" "$idle" <<'EOF' | tee -a "$OUT"
import json, sys
r = json.load(open(sys.argv[1]))
bt, shape = sys.argv[2], sys.argv[3]
wall = float(sys.argv[5]) - float(sys.argv[4])
rec, cores = float(sys.argv[6]), int(sys.argv[7])
lg_cpu = float(sys.argv[11]) - float(sys.argv[10])
c0 = [float(x) for x in sys.argv[12].split()]
c1 = [float(x) for x in sys.argv[13].split()]
cpu = [b - a for a, b in zip(c0, c1)]
chain, nodes = cpu[0], cpu[1:]
node_cpu = sum(nodes)
ceil = cores * rec / 3
eps = r["acked_per_second"]
epcs = r["acked"] / node_cpu if node_cpu > 0 else 0
errs = ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items())) or "none"
print(f"{bt} {shape}: target {r['target_rate']:.0f}/s over {r['streams']} streams, acked {r['acked']} of {r['sent']} sent in {r['seconds']:.1f} s = {eps:.0f}/s "
      f"({100 * eps / ceil:.0f}% of the ceiling/3 = {cores} x {rec:.0f} / 3 = {ceil:.0f}/s); errors: {errs}; late {r['late']}, unsent {r['unsent']}, unsealed at stop {r['unsealed_at_stop']}")
print(f"{bt} {shape}: ack ms p50 {r['ack_ms']['p50']:.1f} p99 {r['ack_ms']['p99']:.1f} p999 {r['ack_ms']['p999']:.1f}; "
      f"sealed (block times) p50 {r['sealed_block_times']['p50']:.2f} p99 {r['sealed_block_times']['p99']:.2f} ({r['sealed']} seen sealed)")
print(f"{bt} {shape}: node CPU over {wall:.1f} s: " + ", ".join(f"node{i + 1} {c:.1f} s ({c / wall:.2f} cores)" for i, c in enumerate(nodes)) +
      f"; 3 nodes {node_cpu:.1f} s ({node_cpu / wall:.2f} cores); devchain {chain:.1f} s; loadgen {lg_cpu:.1f} s (signing included)")
idle = float(sys.argv[14]) * wall
net = r["acked"] / (node_cpu - idle) if node_cpu > idle else 0
print(f"{bt} {shape}: {epcs:.0f} events per node CPU-second = {100 * epcs / (rec / 3):.0f}% of ceiling/3 = {rec / 3:.0f} "
      f"({1e6 / epcs if epcs else 0:.0f} node CPU-us per event over 3 replicas; over the idle devnet's {idle:.1f} s: {net:.0f} per CPU-second, "
      f"{1e6 / net if net else 0:.0f} us); load {sys.argv[8]} -> {sys.argv[9]}")
EOF
}

for BT in $BLOCK_TIMES; do
	# One devnet per stream count, in the order the shapes name them.
	for S in $(for sh in $SHAPES; do echo "${sh%%:*}"; done | awk '!seen[$0]++'); do
		setup "$BT" "$S"
		for sh in $SHAPES; do
			if [ "${sh%%:*}" = "$S" ]; then run_shape "$BT" "$sh"; fi
		done
		"$DEVNET" stop >>"$DIR/devnet-start.log"
	done
done
rec1=$(ceiling)
say "signature ceiling (after): $rec1 recoveries per CPU-second of one core; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
