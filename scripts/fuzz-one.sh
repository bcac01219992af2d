#!/usr/bin/env bash
# fuzz-one.sh PKG TARGET FUZZTIME: one fuzz target for FUZZTIME.
#
# go1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" at the -fuzztime boundary when its workers
# are starved of CPU (golang/go#75804, fixed in go1.27): no input failed and
# none is written to testdata/fuzz. Such a run is tried once more; any other
# failure, a second one, or one that wrote a failing input, fails.
set -uo pipefail
p=$1 t=$2 ft=$3
GO=${GO:-go}
for try in 1 2; do
	out=$(mktemp)
	"$GO" test -run '^$' -fuzz "^$t\$" -fuzztime "$ft" -fuzzminimizetime 2s "$p/" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then rm -f "$out"; exit 0; fi
	new=$(git status --porcelain --untracked-files=all -- "$p/testdata/fuzz/$t" 2>/dev/null)
	if [ "$try" = 1 ] && [ -z "$new" ] && grep -q '^    context deadline exceeded$' "$out" && ! grep -q 'Failing input written' "$out"; then
		echo "fuzz $p $t: \"context deadline exceeded\" with no failing input (golang/go#75804); once more"
		rm -f "$out"
		continue
	fi
	rm -f "$out"
	exit "$rc"
done
exit 1
