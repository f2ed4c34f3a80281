#!/usr/bin/env bash
# make check-sanitize: run the whole suite (tests/run.sh) from BUILD, built with ASan + UBSan.
#
# Every sanitizer report goes to a file in BUILD/san-logs (log_path), not to stderr: the zygote
# and the shims point their stderr at /dev/null, so a report there would otherwise be lost.
# Any report fails the run, whatever the tests said.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-san}
logs=$PWD/$build/san-logs
rm -rf "$logs"
mkdir -p "$logs"
# detect_leaks: LeakSanitizer at every normal exit (corral, Check's forked test children);
# the zygote and the shims leave with _exit and are not checked. abort_on_error=0: exit codes
# (ASan 1, LSan 23) show in the tests' results.
# A report from a process inside a PID namespace (a shim) is named san.1: its pid there.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:abort_on_error=0:log_path=$logs/san"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/san"
BUILD=$build ./tests/run.sh
rc=$?
mapfile -t reports < <(find "$logs" -type f | sort)
if [ ${#reports[@]} -gt 0 ]; then
	for r in "${reports[@]}"; do
		echo "==== sanitizer report: $r"
		cat "$r"
	done
	echo "check-sanitize: ${#reports[@]} sanitizer report(s): FAIL"
	exit 1
fi
[ $rc -eq 0 ] && echo "check-sanitize: no sanitizer report"
exit $rc
