#!/usr/bin/env bash
# bench-scale: one node in its own process (memory chain, badger on disk),
# `node loadgen` in another, for each number of hosted streams:
#   setup   create HOSTED channels through the API (the real create path),
#           cached on disk: a later run with the same BENCH_SCALE_DIR reuses
#           the data dir and the loadgen state and creates nothing;
#   idle    heap (after a forced GC) and disk per hosted stream;
#   load    ACTIVE of them posted to at RATE posts/s for DURATION;
#   after   heap again once the active stream actors passivated.
# Node CPU comes from /proc/PID/stat of the node process alone (loadgen's own
# CPU, from time(1), is reported beside it, as the two share the cores); the
# signature ceiling (recoveries/s of one core, BenchmarkRawEcrecover) is
# measured in the same run. Figures go to $DIR/results.txt and stdout.
#
# Knobs (environment): BENCH_SCALE_DIR (default /tmp/bench-scale),
# BENCH_SCALE_HOSTED ("1000 10000 100000"), BENCH_SCALE_ACTIVE (5000),
# BENCH_SCALE_RATE (5000), BENCH_SCALE_DURATION (60s), BENCH_SCALE_IDLE
# (idle timeout, 10s), BENCH_SCALE_CREATE_CONCURRENCY (2000),
# BENCH_SCALE_BLOCK_TIME (chain block time, 1s), BENCH_SCALE_BLOCK_CACHE_MIB
# (the store's block cache, the node's default when unset), BENCH_SCALE_BIN
# (a prebuilt node binary instead of building this tree's).
set -euo pipefail

DIR=${BENCH_SCALE_DIR:-/tmp/bench-scale}
HOSTED=${BENCH_SCALE_HOSTED:-1000 10000 100000}
ACTIVE=${BENCH_SCALE_ACTIVE:-5000}
RATE=${BENCH_SCALE_RATE:-5000}
DURATION=${BENCH_SCALE_DURATION:-60s}
IDLE=${BENCH_SCALE_IDLE:-10s}
CONC=${BENCH_SCALE_CREATE_CONCURRENCY:-2000}
BLOCK_TIME=${BENCH_SCALE_BLOCK_TIME:-1s}
CACHE_FLAG=()
[ -n "${BENCH_SCALE_BLOCK_CACHE_MIB:-}" ] && CACHE_FLAG=(--store.block-cache-mib "$BENCH_SCALE_BLOCK_CACHE_MIB")
PORT=${BENCH_SCALE_PORT:-17400}
BIN=$DIR/node
mkdir -p "$DIR"
if [ -n "${BENCH_SCALE_BIN:-}" ]; then
	cp "$BENCH_SCALE_BIN" "$BIN"
else
	go build -o "$BIN" ./cmd/node
fi
OUT=$DIR/results.txt
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

say "bench-scale $(date -u +%FT%TZ) ${BENCH_SCALE_BIN:-$(git rev-parse --short HEAD)} nproc=$(nproc) load: $(cut -d' ' -f1-3 /proc/loadavg); block time $BLOCK_TIME; active $ACTIVE at $RATE/s for $DURATION; store block cache ${BENCH_SCALE_BLOCK_CACHE_MIB:-$("$BIN" run -h 2>&1 | grep -- '-store.block-cache-mib' | grep -o 'default "[0-9]*"' | tr -dc 0-9 || true)} MiB (none said: badger's 256)"
# Recoveries per CPU-second of one core: the benchmark's CPU time, not its
# wall clock (on a loaded machine the wall clock counts waiting too).
go test -c -o "$DIR/streams.test" ./streams/
recs=40000
cpu_s=$(cd streams && /usr/bin/time -f "%U %S" "$DIR/streams.test" -test.run '^$' -test.bench 'BenchmarkRawEcrecover$' \
	-test.benchtime ${recs}x 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}')
rec=$(awk -v n="$recs" -v c="$cpu_s" 'BEGIN{printf "%.0f", n/c}')
say "signature ceiling: ${rec} recoveries per CPU-second of one core (BenchmarkRawEcrecover, CPU time), x$(nproc) cores = $(awk -v r="$rec" -v c="$(nproc)" 'BEGIN{printf "%.0f", r*c}') /s"

ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
heap() { # heap in use after a forced GC, bytes
	curl -fsS "http://127.0.0.1:$((PORT + 1))/debug/pprof/heap?gc=1" >/dev/null
	curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" | awk '/^go_memstats_heap_alloc_bytes / {printf "%.0f", $2}'
}
badger_heap() { # heap in use under badger (memtables, block cache, tables), from a heap profile after a forced GC
	curl -fsS "http://127.0.0.1:$((PORT + 1))/debug/pprof/heap?gc=1" -o "$DIR/heap.pprof"
	go tool pprof -sample_index=inuse_space -focus 'dgraph-io/(badger|ristretto)' -top "$BIN" "$DIR/heap.pprof" 2>/dev/null |
		awk '/Showing nodes accounting for/ {gsub(",", "", $5); print $5; exit}'
}
live_streams() {
	curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" | awk '/^node_live_actors\{kind="stream"\}/ {n=$2} END {print n+0}'
}

start_node() { # data dir
	"$BIN" run --chain memory --block-time "$BLOCK_TIME" --idle-timeout "$IDLE" --data-dir "$1/data" "${CACHE_FLAG[@]}" \
		--api "127.0.0.1:$PORT" --debug "127.0.0.1:$((PORT + 1))" --p2p.listen "/ip4/127.0.0.1/tcp/$((PORT + 2))" \
		--p2p.dht=false --p2p.registry=false --log-level warn >"$1/node.log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" >/dev/null 2>&1 && break; sleep 0.2; done
}
stop_node() {
	kill $pid
	wait $pid || true
	trap - EXIT
}
disk() { du -s --block-size=1 "$1/data" | cut -f1; } # allocated bytes (badger's files are sparse)

# The node with no stream: what the per-stream figures are above.
rm -rf "$DIR/empty" && mkdir -p "$DIR/empty"
start_node "$DIR/empty"
sleep 2
base_heap=$(heap)
base_disk=$(disk "$DIR/empty")
stop_node
say "empty node: heap $((base_heap / 1024)) KiB, disk $((base_disk / 1024)) KiB"

for N in $HOSTED; do
	d=$DIR/hosted-$N
	mkdir -p "$d"
	start_node "$d"
	if [ ! -s "$d/state.json" ] || [ "$(grep -o '"id"' "$d/state.json" | wc -l)" -lt "$N" ]; then
		t0=$(date +%s.%N)
		"$BIN" loadgen --api "127.0.0.1:$PORT" --streams "$N" --create-only --concurrency "$CONC" \
			--report 10s --state "$d/state.json" >"$d/create.json" 2>"$d/create.log"
		say "hosted=$N setup: created $(awk -F': ' '/"created":/ {gsub(",","",$2); print $2}' "$d/create.json") streams in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s (API, concurrency $CONC, load $(cut -d' ' -f1 /proc/loadavg))"
	fi
	# Idle: every stream actor passivated.
	for _ in $(seq 120); do [ "$(live_streams)" = "0" ] && break; sleep 1; done
	h0=$(heap)
	b0=$(badger_heap)
	dk=$(disk "$d")
	say "hosted=$N idle: heap $((h0 / 1024)) KiB ($(((h0 - base_heap) / N)) B per hosted stream over the empty node; of the heap profile, under badger: $b0), disk $((dk / 1024)) KiB ($(((dk - base_disk) / N)) B per stream), live stream actors $(live_streams)"
	a=$((ACTIVE < N ? ACTIVE : N))
	c0=$(cpu $pid)
	/usr/bin/time -f "%U %S" -o "$d/loadgen.cpu" "$BIN" loadgen --api "127.0.0.1:$PORT" --streams "$a" --rate "$RATE" --duration "$DURATION" \
		--block-time "$BLOCK_TIME" --state "$d/state.json" --report 10s >"$d/load.json" 2>"$d/load.log"
	c1=$(cpu $pid)
	lg=$(awk '{printf "%.1f", $1 + $2}' "$d/loadgen.cpu")
	tail -n 8 "$d/load.log" | sed "s/^/  hosted=$N /" | tee -a "$OUT"
	python3 - "$d/load.json" "$N" "$a" "$c0" "$c1" "$rec" "$(nproc)" "$lg" <<'EOF' | tee -a "$OUT"
import json, sys
r = json.load(open(sys.argv[1]))
n, a, c0, c1, rec, cores = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
cpu = c1 - c0
per_cpu = r["acked"] / cpu if cpu > 0 else 0
print(f"hosted={n} load: active {a}, target {r['target_rate']:.0f}/s, acked {r['acked']} in {r['seconds']:.1f}s = {r['acked_per_second']:.0f}/s; "
      f"ack ms p50 {r['ack_ms']['p50']:.1f} p99 {r['ack_ms']['p99']:.1f} p999 {r['ack_ms']['p999']:.1f}; "
      f"sealed (block times) p50 {r['sealed_block_times']['p50']:.2f} p99 {r['sealed_block_times']['p99']:.2f}; errors {r['errors']}; late {r['late']}")
print(f"hosted={n} node CPU {cpu:.1f} s over the load ({cpu / r['seconds']:.2f} cores): {per_cpu:.0f} events per node CPU-second "
      f"= {100 * per_cpu / rec:.0f}% of the {rec:.0f} recoveries per CPU-second; ceiling {cores} x {rec:.0f} = {cores * rec:.0f}/s; "
      f"loadgen CPU {float(sys.argv[8]):.1f} s ({float(sys.argv[8]) / r['seconds']:.2f} cores)")
EOF
	for _ in $(seq 120); do [ "$(live_streams)" = "0" ] && break; sleep 1; done
	h1=$(heap)
	b1=$(badger_heap)
	say "hosted=$N after: heap $((h1 / 1024)) KiB ($(awk -v a="$h0" -v b="$h1" 'BEGIN{printf "%+.0f", 100*(b-a)/a}')% of before; under badger: $b1, before $b0), live stream actors $(live_streams), load $(cut -d' ' -f1-3 /proc/loadavg)"
	stop_node
done
