#!/usr/bin/env bash
# Runs every test program in the build directory; fails if any fails. A privileged suite that
# could not run exits 77 and says why (CORRAL_REQUIRE_PRIVILEGED=1 makes that exit 1 instead).
set -uo pipefail
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.."
failed=()
skipped=()
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t")
	echo "== $name"
	"$t"
	rc=$?
	if [ $rc -eq 77 ]; then
		skipped+=("$name")
	elif [ $rc -ne 0 ]; then
		failed+=("$name")
	fi
done
echo "== readme_default"
./tests/readme_default.sh || failed+=("readme_default")
echo
if [ ${#skipped[@]} -gt 0 ]; then
	echo "NOT RUN (no privileges; see above): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all test programs passed"
