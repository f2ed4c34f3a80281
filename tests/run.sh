#!/usr/bin/env bash
# Runs every test program in the build directory; fails if any fails. A privileged suite that
# could not run exits 77 and says why (CORRAL_REQUIRE_PRIVILEGED=1 makes that exit 1 instead).
# TESTS="test_a test_b" runs only those programs (and "python" the Python client's tests).
#
# On a pure cgroup v2 host outside the root cgroup (systemd: `systemd-run --scope -p
# Delegate=yes make check`), the scope also holds make, its shell and this script. A
# privileged suite must be alone in its cgroup to move into <own>/supervisor and enable
# controllers (no internal processes), so it would refuse. When the scope holds nothing but
# our own chain of callers, we move that chain into <own>/runner, enable the controllers in
# <own>, give each program a fresh <own>/<program> of its own, and put everything back at the
# end. With anyone else in the cgroup we change nothing and the suites say why they refuse.
set -uo pipefail
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.."
failed=()
skipped=()

# ---- per-program cgroups on a delegated pure-v2 cgroup ----
cg_own=""        # our v2 cgroup's directory, when we manage per-program cgroups below it
cg_enabled=""    # controllers we enabled in its subtree_control
cg_chain=()      # the pids we moved into $cg_own/runner

cg_note() { echo "run.sh: $*" >&2; }

# Our v2 cgroup directory from mountinfo and /proc/self/cgroup ("" when there is none).
v2_own_dir() {
	local line rel="" mnt="" f
	while IFS= read -r line; do
		[ "${line#0::}" != "$line" ] && rel=${line#0::}
	done </proc/self/cgroup
	while IFS= read -r line; do
		# fields after " - " are: fstype source options; field 5 is the mount point
		[ "${line#* - cgroup2 }" != "$line" ] || continue
		read -r _ _ _ root mnt _ <<<"$line"
		[ "$root" = / ] && break
		mnt=""
	done </proc/self/mountinfo
	[ -n "$mnt" ] && [ -n "$rel" ] || return 0
	f=$mnt${rel%/}
	echo "${f:-/}"
}

cg_setup() {
	local own procs=() chain=() p ppid line want="" c
	local -A in_chain=()

	own=$(v2_own_dir)
	[ -n "$own" ] && [ -e "$own/cgroup.events" ] || return 0 # none, or the real root: exempt
	# root, or a user whose cgroup is delegated to it (the suites then run rootless)
	[ "$(id -u)" -eq 0 ] || [ -w "$own/cgroup.procs" ] || return 0
	for c in $(<"$own/cgroup.controllers"); do
		case $c in cpu | io | memory | pids) want+="${want:+ }+$c" ;; esac
	done
	[ -n "$want" ] || return 0 # no controllers delegated here (hybrid): nothing to enable
	# our callers up to the first one outside this cgroup (read with builtins only: a
	# subshell would be one more process in the cgroup while we look)
	p=$$
	while [ "$p" -gt 1 ] && [ -r "/proc/$p/status" ]; do
		chain+=("$p")
		in_chain[$p]=1
		ppid=""
		while IFS=$':\t ' read -r k v _; do
			[ "$k" = PPid ] && ppid=$v && break
		done <"/proc/$p/status"
		[ -n "$ppid" ] || break
		p=$ppid
	done
	mapfile -t procs <"$own/cgroup.procs"
	for p in "${procs[@]}"; do
		if [ -z "${in_chain[$p]:-}" ]; then
			cg_note "$own holds other processes besides this run (pid $p): leaving it as" \
				"it is; the privileged suites need a delegated cgroup of their own" \
				"(systemd-run --scope -p Delegate=yes make check)"
			return 0
		fi
	done
	mkdir "$own/runner" || return 0
	for p in "${procs[@]}"; do
		echo "$p" >"$own/runner/cgroup.procs" && cg_chain+=("$p")
	done
	if ! echo "$want" >"$own/cgroup.subtree_control"; then
		cg_note "cannot enable '$want' in $own; running the programs where we are"
		cg_restore
		return 0
	fi
	cg_own=$own
	cg_enabled=$want
	cg_note "pure cgroup v2 in $own: each test program runs in a cgroup of its own below it" \
		"(this run's processes wait in $own/runner)"
}

cg_restore() {
	local own p
	[ ${#cg_chain[@]} -gt 0 ] || return 0
	own=${cg_own:-$(v2_own_dir)}
	own=${own%/runner}
	[ -n "$cg_enabled" ] && echo "${cg_enabled//+/-}" >"$own/cgroup.subtree_control"
	for p in "${cg_chain[@]}"; do
		[ -d "/proc/$p" ] && echo "$p" >"$own/cgroup.procs"
	done
	[ -d "$own/runner" ] && rmdir "$own/runner"
	cg_own=""
	cg_enabled=""
	cg_chain=()
}

# Runs "$@" as the only process of a fresh cgroup (when cg_setup made that possible).
# Fails when something was left in it.
run_prog() {
	local name=$1 dir rc
	shift
	if [ -z "$cg_own" ]; then
		"$@"
		return
	fi
	dir=$cg_own/$name
	mkdir "$dir" || return 1
	bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$dir" "$@"
	rc=$?
	# the harness leaves its (empty) supervisor leaf; anything else is the sweep's to report
	[ -d "$dir/supervisor" ] && rmdir "$dir/supervisor"
	if ! rmdir "$dir"; then
		echo "$name: LEAK: $dir could not be removed:" >&2
		# (cgroup files report size 0: read each one)
		find "$dir" -name cgroup.procs -exec sh -c '[ -z "$(cat "$1")" ] || echo "  $1: $(cat "$1")"' _ {} \; >&2
		echo 1 >"$dir/cgroup.kill"
		rmdir "$dir"/* "$dir" 2>/dev/null
		[ $rc -ne 0 ] || rc=1
	fi
	return $rc
}

cg_setup
trap 'cg_restore' EXIT

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t")
	if [ -n "${TESTS:-}" ] && [[ " $TESTS " != *" $name "* ]]; then
		continue
	fi
	echo "== $name"
	run_prog "$name" "$t"
	rc=$?
	if [ $rc -eq 77 ]; then
		skipped+=("$name")
	elif [ $rc -ne 0 ]; then
		failed+=("$name")
	fi
done
# RUN_SCRIPTS=0: the test programs only (the guest's rootless pass, whose budget is theirs)
if [ "${RUN_SCRIPTS:-1}" = 1 ]; then
	echo "== readme_default"
	./tests/readme_default.sh || failed+=("readme_default")
	echo "== completion"
	CORRAL_TEST_CGROUP=$cg_own ./tests/completion.sh || failed+=("completion")
	echo "== install_check"
	CORRAL_TEST_CGROUP=$cg_own ./tests/install_check.sh || failed+=("install_check")
	echo "== rootless_host"
	./tests/rootless_host.sh
	case $? in 0) ;; 77) skipped+=("rootless_host") ;; *) failed+=("rootless_host") ;; esac
	echo "== events_golden"
	# (a script runs many processes: each corral run gets the cgroup of its own there)
	CORRAL_TEST_CGROUP=$cg_own ./tests/events_golden.sh
	case $? in 0) ;; 77) skipped+=("events_golden") ;; *) failed+=("events_golden") ;; esac
else
	echo "== scripts: not run (RUN_SCRIPTS=0)"
fi
# The Python client's tests (pytest; each corral run gets the cgroup of its own there too).
# TESTS names them "python".
if [ -z "${TESTS:-}" ] || [[ " $TESTS " == *" python "* ]]; then
	echo "== python"
	CORRAL_TEST_CGROUP=$cg_own ./tests/python/run.sh
	case $? in 0) ;; 77) skipped+=("python") ;; *) failed+=("python") ;; esac
fi
echo
if [ ${#skipped[@]} -gt 0 ]; then
	echo "NOT RUN (no privileges; see above): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all test programs passed"
