#!/usr/bin/env bash
# make check-valgrind: the unit suites and short corral scenarios under valgrind (memcheck),
# from BUILD. Every process valgrind runs (forked Check test children, corral's zygote)
# writes BUILD/vg-logs/<pid>.log; any error or definite leak in any of them fails the run.
#
# What valgrind can and cannot see here (HACKING.md "Hardening"): valgrind 3.19 implements neither
# clone3 (it answers ENOSYS, so `corral check` reports the clone() fallback) nor pidfd_open
# (syscall 434): `corral run` stops at its start ("pidfd_open of the supervisor: Function not
# implemented", exit 125), so no zygote, shim or supervisor loop runs under valgrind. That
# path is still checked for errors and leaks; the real spawn path is the sanitizer build's
# (make check-sanitize). test_seccomp compiles seccomp filters but does not load them under
# valgrind (valgrind has no seccomp(2) either).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
logs=$PWD/$build/vg-logs
rm -rf "$logs"
mkdir -p "$logs"
vg=(valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1
	--trace-children=no --log-file="$logs/%p.log")
failed=()
passed=0

expect() { # NAME WANTED-EXIT-CODES... -- COMMAND...
	local name=$1 rc ok=0
	shift
	local want=()
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	"${vg[@]}" "$@" >"$logs/$name.out" 2>&1
	rc=$?
	for w in "${want[@]}"; do [ "$rc" -eq "$w" ] && ok=1; done
	if [ $ok -eq 1 ]; then
		passed=$((passed + 1))
	else
		echo "valgrind: $name: exit $rc (expected ${want[*]}); output:"
		tail -20 "$logs/$name.out"
		failed+=("$name")
	fi
}

for t in test_ns test_units test_keys test_policy test_seccomp test_spawner test_fuzz_replay; do
	echo "== $t (valgrind)"
	expect "$t" 0 -- "$build/tests/$t"
	grep -E 'Checks|Failures' "$logs/$t.out"
done

echo "== corral under valgrind"
corral=$build/corral
expect policy-default 0 -- "$corral" policy default
# good/ files parse; one may still name what this host lacks (every-key.ini's User=app): 2
for f in tests/data/policy/good/*.ini; do
	expect "policy-check-$(basename "$f")" 0 2 -- "$corral" policy check "$f"
done
for f in tests/data/policy/bad/*.ini; do
	expect "policy-check-$(basename "$f")" 2 -- "$corral" policy check "$f"
done
expect run-usage 125 -- "$corral" run --bogus
# corral check: 0 when corral can run here (root, writable cgroup), 1 otherwise
expect check 0 1 -- "$corral" check
expect run-true 0 125 -- "$corral" run --events json -- true
if grep -q 'pidfd_open of the supervisor: Function not implemented' "$logs/run-true.out"; then
	echo "corral run -- true: stopped at start under valgrind (no pidfd_open in valgrind)," \
		"checked up to there"
else
	echo "corral run -- true: ran under valgrind"
fi

# errors in any process, the forked ones included
mapfile -t bad < <(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$logs"/*.log 2>/dev/null)
if [ ${#bad[@]} -gt 0 ]; then
	for f in "${bad[@]}"; do
		echo "==== valgrind report: $f"
		cat "$f"
	done
	failed+=("${#bad[@]} process(es) with valgrind errors")
fi
echo "valgrind: $passed passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
