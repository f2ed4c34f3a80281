#!/usr/bin/env bash
# make lint: clang-tidy (checks in .clang-tidy, tests/.clang-tidy) and cppcheck on every C file.
# Any finding fails. Usage: lint.sh "COMPILER FLAGS" FILE...
set -uo pipefail
cd "$(dirname "$0")/.."
flags=$1
shift
jobs=$(nproc 2>/dev/null || echo 2)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0

echo "clang-tidy: $# files, $jobs at a time"
# shellcheck disable=SC2086 # flags is a list of compiler flags
printf '%s\n' "$@" | xargs -P"$jobs" -I{} sh -c 'clang-tidy --quiet "$1" -- '"$flags"' 2>/dev/null || echo "FAILED: $1"' _ {} >"$log"
if grep -qE 'warning:|error:|^FAILED:' "$log"; then
	cat "$log"
	echo "clang-tidy: $(grep -cE 'warning:|error:' "$log") finding(s)"
	rc=1
else
	echo "clang-tidy: no finding"
fi

# warning (bugs), performance, portability; style is clang-format's and clang-tidy's business
if cppcheck -j"$jobs" --quiet --enable=warning,performance,portability --std=c11 \
	-D_GNU_SOURCE -D__linux__ -D__x86_64__ --inline-suppr --error-exitcode=1 \
	--suppress=missingIncludeSystem "$@"; then
	echo "cppcheck: no finding"
else
	echo "cppcheck: findings above"
	rc=1
fi
exit $rc
