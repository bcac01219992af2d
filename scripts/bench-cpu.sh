#!/usr/bin/env bash
# bench-cpu: the node's CPU per event on the API path, one node in its own
# process (memory chain, badger on disk, 1 s blocks), `node loadgen` in
# another, binaries A/B alternated on copies of the same data dir.
#
#   scripts/bench-cpu.sh STREAMS RATE DURATION RUNS BIN...
#
# e.g. `scripts/bench-cpu.sh 64 6000 20s 2 /tmp/base-node /tmp/new-node`.
# The first BIN creates the STREAMS channels once (cached in
# $BENCH_CPU_DIR/set-STREAMS, default /tmp/bench-cpu); every run starts
# from a fresh copy of that set. Node CPU is utime+stime of the node
# process from /proc/PID/stat over the loadgen run (signing before the
# posts included: loadgen signs in its own process, the node is idle
# then). The signature ceiling (recoveries per CPU-second of one core,
# BenchmarkRawEcrecover timed by its CPU time) is measured before and
# after the runs. BENCH_CPU_LOADGEN passes extra loadgen flags (--h2c).
# A BIN may be given with environment assignments before it, one quoted
# word: "NODE_CLIENT_BATCH=16 /tmp/new-node" (NODE_CLIENT_* go to loadgen,
# the others to the node: "GOGC=200 BIN", "NODE_GC_PERCENT=200 BIN"). Each
# run also reports the node's peak RSS (VmHWM), its peak heap in use
# (sampled from /metrics every second) and its GC cycles over the run.
# BENCH_CPU_PROFILE=SECONDS takes a CPU profile of the node that long,
# BENCH_CPU_PROFILE_AFTER (12) seconds after loadgen starts (past its
# signing), to $BENCH_CPU_DIR/profile-RUN-I.pprof (the
# profiled runs' CPU figures include the profiler's cost).
# Hold the bench lock: setsid -w flock /tmp/bench.lock -c '...'.
set -euo pipefail

S=$1 R=$2 D=$3 RUNS=$4
shift 4
DIR=${BENCH_CPU_DIR:-/tmp/bench-cpu}
PORT=${BENCH_CPU_PORT:-17700}
mkdir -p "$DIR"
ticks=$(getconf CLK_TCK)

start_node() { # bin data-dir log (node_env: VAR=VAL for the node)
	env ${node_env[@]+"${node_env[@]}"} "$1" run --chain memory --block-time 1s --idle-timeout 60s --data-dir "$2" \
		--api "127.0.0.1:$PORT" --debug "127.0.0.1:$((PORT + 1))" --p2p.listen "/ip4/127.0.0.1/tcp/$((PORT + 2))" \
		--p2p.dht=false --p2p.registry=false --log-level warn >"$3" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" >/dev/null 2>&1 && break; sleep 0.2; done
}
stop_node() {
	kill "$pid"
	wait "$pid" || true
	trap - EXIT
}
ceiling() {
	go test -c -o "$DIR/streams.test" ./streams/
	local n=40000 c
	c=$(cd streams && /usr/bin/time -f "%U %S" "$DIR/streams.test" -test.run '^$' -test.bench 'BenchmarkRawEcrecover$' \
		-test.benchtime ${n}x 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}')
	awk -v n=$n -v c="$c" 'BEGIN{printf "ceiling: %.0f recoveries per CPU-second of one core\n", n/c}'
}

metric() { # name: its value summed over the node's /metrics lines
	curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" 2>/dev/null | awk -v m="$1" '$1 == m {s += $2} END {printf "%.0f", s}'
}
node_env=()
set_dir=$DIR/set-$S
if [ ! -s "$set_dir/state.json" ]; then
	rm -rf "$set_dir" && mkdir -p "$set_dir"
	start_node "$1" "$set_dir/data" "$set_dir/node.log"
	"$1" loadgen --api "127.0.0.1:$PORT" --streams "$S" --create-only --concurrency 64 --state "$set_dir/state.json" \
		>"$set_dir/create.json" 2>"$set_dir/create.log"
	stop_node
fi

echo "bench-cpu $(date -u +%FT%TZ) streams=$S rate=$R duration=$D load: $(cut -d' ' -f1-3 /proc/loadavg)"
ceiling
for run in $(seq "$RUNS"); do
	for arg in "$@"; do
		read -r -a words <<<"$arg"
		node_env=() lg_env=()
		while [ ${#words[@]} -gt 1 ] && [[ ${words[0]} == [A-Z]*=* ]]; do
			if [[ ${words[0]} == NODE_CLIENT_* ]]; then lg_env+=("${words[0]}"); else node_env+=("${words[0]}"); fi
			words=("${words[@]:1}")
		done
		bin=${words[0]}
		w=$DIR/work
		rm -rf "$w" && mkdir -p "$w" && cp -a "$set_dir/data" "$w/data" && cp "$set_dir/state.json" "$w/state.json"
		start_node "$bin" "$w/data" "$w/node.log"
		l0=$(cut -d' ' -f1 /proc/loadavg)
		gc0=$(metric go_gc_duration_seconds_count)
		c0=$(awk -v t="$ticks" '{printf "%.2f", ($14+$15)/t}' "/proc/$pid/stat")
		# shellcheck disable=SC2086 # BENCH_CPU_LOADGEN is a list of flags
		env ${lg_env[@]+"${lg_env[@]}"} "$bin" loadgen --api "127.0.0.1:$PORT" --streams "$S" --rate "$R" --duration "$D" --state "$w/state.json" \
			--report 100s ${BENCH_CPU_LOADGEN:-} >"$w/load.json" 2>"$w/load.log" &
		lg=$!
		i=$((${i:-0} + 1))
		if [ -n "${BENCH_CPU_PROFILE:-}" ]; then
			(sleep "${BENCH_CPU_PROFILE_AFTER:-12}" && curl -fsS -o "$DIR/profile-$run-$i.pprof" \
				"http://127.0.0.1:$((PORT + 1))/debug/pprof/profile?seconds=$BENCH_CPU_PROFILE") &
		fi
		heap=0
		while kill -0 $lg 2>/dev/null; do
			h=$(metric go_memstats_heap_inuse_bytes)
			[ "${h:-0}" -gt "$heap" ] && heap=$h
			sleep 1
		done
		wait $lg
		c1=$(awk -v t="$ticks" '{printf "%.2f", ($14+$15)/t}' "/proc/$pid/stat")
		gc1=$(metric go_gc_duration_seconds_count)
		rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
		l1=$(cut -d' ' -f1 /proc/loadavg)
		stop_node
		python3 - "$w/load.json" "$c0" "$c1" "$arg" "$run" "$l0" "$l1" "$rss" "$heap" "$gc0" "$gc1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cpu = float(sys.argv[3]) - float(sys.argv[2])
calls = r.get('calls') or r['sent']
print(f"run {sys.argv[5]} {sys.argv[4]}: acked {r['acked']} in {r['seconds']:.1f}s ({r['acked_per_second']:.0f}/s), errors {r['errors']}, "
      f"node CPU {cpu:.2f}s, {r['acked'] / cpu:.0f} events per node CPU-second, {cpu / max(r['acked'], 1) * 1e6:.1f} cpu-us/event, "
      f"{r['sent'] / max(calls, 1):.1f} events/call, ack p50 {r['ack_ms']['p50']:.0f} ms p99 {r['ack_ms']['p99']:.0f} ms, "
      f"peak RSS {int(sys.argv[8]) / 1024:.0f} MiB, peak heap in use {int(sys.argv[9]) / 2**20:.0f} MiB, GCs {int(sys.argv[11]) - int(sys.argv[10])}, "
      f"load {sys.argv[6]} -> {sys.argv[7]}")
EOF
	done
done
ceiling
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
