#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for SECONDS. Usage: run.sh BUILD SECONDS TARGET...
#
# New corpus entries go to BUILD/fuzz/corpus/<target> (not committed); the checked-in seeds
# (tests/fuzz/corpus/<target>, and the policy test data) and kept crashers
# (tests/fuzz/regressions/<target>) are read only. A crash, leak, timeout (-timeout) or
# broken invariant (abort) makes libFuzzer exit non-zero and write the input to
# tests/fuzz/regressions/<target>/: keep it there, fix the bug, and `make check` replays it.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$1
seconds=$2
shift 2
failed=()
for t in "$@"; do
	bin=$build/fuzz/fuzz_$t
	work=$build/fuzz/corpus/$t
	regress=tests/fuzz/regressions/$t
	log=$build/fuzz/$t.log
	mkdir -p "$work" "$regress"
	seeds=(tests/fuzz/corpus/"$t" "$regress")
	[ "$t" = policy ] && seeds+=(tests/data/policy/good tests/data/policy/bad)
	dict=()
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
	# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a runaway allocation
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$regress"/ "${dict[@]}" "$work" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs; the end of $log:"
		tail -40 "$log"
		ls -t "$regress" | head -3 | sed "s|^|  kept: $regress/|"
		failed+=("$t")
	else
		echo "fuzz $t: ${runs:-?} runs in ${secs:-?} s, ${cov:-cov: ?}, no finding"
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all ${#@} targets ran ${seconds} s each without a finding"
