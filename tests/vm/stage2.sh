#!/usr/bin/env bash
# Stage 2 of the guest: PID 1 after switch_root into the host's root (read-only over 9p).
# Builds a pure cgroup v2 host shaped like a systemd one, shows that corral refuses an
# undelegated cgroup, then runs the privileged suites, each alone in its own delegated cgroup,
# and prints "STATUS: N" (N = failed steps) on the console for the host to read back.
#
#   /sys/fs/cgroup                 root: +memory +pids +cpu in subtree_control
#       init.scope/                this script (PID 1), as systemd keeps itself
#       work.slice/                no processes; +memory +pids +cpu for its children
#           shared.scope/          a sleeping process and `corral check`: must be refused
#           check.scope/           `corral check` alone: must report pure-v2 and delegation
#           run.scope/             `corral run` alone: moves into run.scope/supervisor
#           container.scope/       the same inside a new cgroup namespace (a container)
#           suites.scope/          `make _check` (systemd-run --scope -p Delegate=yes make check)
#               runner/            make, sh and tests/run.sh, moved there by tests/run.sh
#               <program>/         one test program: the harness moves into supervisor/
#           user-*.scope/          the second pass, as uid 1000 (tests/vm/rootless.sh)
set -uo pipefail
exec </dev/console >/dev/console 2>&1

arg() { sed -n "s/.*\\bcorral\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
REPO=$(arg repo)
BUILD=$(arg build)
SLOWDOWN=$(arg slowdown)
SUITES=$(arg suites | tr , ' ')
SUITES_TIMEOUT=$(arg suites_timeout)
RL_SUITES=$(arg rootless_suites | tr , ' ')
RL_TIMEOUT=$(arg rootless_timeout)
CG=/sys/fs/cgroup
CONTROLLERS="+memory +pids +cpu"
failures=0
results=()

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

say() { echo "vm: $*"; }
fail() {
	say "FAIL: $*"
	failures=$((failures + 1))
	results+=("FAIL  $*")
}
pass() {
	say "ok: $*"
	results+=("ok    $*")
}

# Pass or fail one check by what it found wrong: $1 what, $2 the faults ("" for none), $3
# what passing shows.
judge() {
	if [ -n "$2" ]; then
		fail "$1:$2"
	else
		pass "$1: $3"
	fi
}

# End whatever is left in scope $1 and remove it, leaves first.
drop_scope() {
	echo 1 >"$1/cgroup.kill"
	find "$1" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
	rmdir "$1" || fail "$1 not removable"
}

finish() {
	echo
	say "==== summary (kernel $(uname -r), cgroup2 at $CG)"
	for r in "${results[@]}"; do
		echo "vm:   $r"
	done
	echo "STATUS: $failures"
	sync
	# power off at once; if sysrq is unavailable, PID 1 exiting makes the kernel panic, which
	# with panic=-1 and -no-reboot ends QEMU just the same
	echo o >/proc/sysrq-trigger
	sleep 30
	exit "$failures"
}

# Run "$@" as the only process of cgroup $1 (created fresh): what systemd-run --scope does.
in_scope() {
	local scope=$1
	shift
	mkdir "$scope" || return 125
	bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" "$@"
}

# (cgroup files report size 0 whatever they hold: read them, never test -s.)
# No process in a cgroup that has child cgroups (corral's layout rule, and with controllers
# enabled the kernel's no-internal-processes rule), below $1.
internal_procs() {
	local d
	while IFS= read -r d; do
		if [ -n "$(find "$d" -mindepth 1 -maxdepth 1 -type d -print -quit)" ] &&
			[ -n "$(cat "$d/cgroup.procs")" ]; then
			echo "$d holds $(tr '\n' ' ' <"$d/cgroup.procs")and has child cgroups"
		fi
	done < <(find "$1" -type d)
}

setup() {
	[ -n "$REPO" ] && cd "$REPO" || {
		say "no repository at '$REPO'"
		return 1
	}
	mount -t cgroup2 -o nsdelegate cgroup2 "$CG" || return 1
	# pure v2: no v1 hierarchy anywhere, so no v1 fallback can be taken
	if grep -q ' - cgroup ' /proc/self/mountinfo; then
		say "a cgroup v1 hierarchy is mounted"
		return 1
	fi
	echo "$CONTROLLERS" >"$CG/cgroup.subtree_control" || return 1
	ip link set lo up || return 1
	mkdir "$CG/init.scope" "$CG/work.slice" && echo $$ >"$CG/init.scope/cgroup.procs" &&
		echo "$CONTROLLERS" >"$CG/work.slice/cgroup.subtree_control"
}

# corral must see a pure v2 host and say how it will delegate.
check_delegated() {
	local out rc
	out=$(in_scope "$CG/work.slice/check.scope" "$BUILD/corral" check 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	if [ $rc -ne 0 ]; then
		fail "corral check in a delegated cgroup exited $rc"
	elif ! grep -q '^  cgroup mode  *pure-v2 ' <<<"$out"; then
		fail "corral check does not report a pure-v2 host"
	elif grep -Eq '^  (memory|pids|cpu) .*v1' <<<"$out" ||
		[ "$(grep -Ec '^  (memory|pids|cpu)  *v2 ' <<<"$out")" -ne 3 ]; then
		fail "corral check does not take memory, pids and cpu from v2"
	elif ! grep -q 'delegation  *yes: the supervisor moves into <own>/supervisor' <<<"$out"; then
		fail "corral check does not plan the move into <own>/supervisor"
	else
		pass "corral check: pure-v2, memory/pids/cpu from v2, supervisor leaf planned"
	fi
	rmdir "$CG/work.slice/check.scope" || fail "corral check left cgroups in check.scope"
}

# A cgroup holding another process is not delegated: check and run refuse and say how to fix.
check_refused() {
	local scope=$CG/work.slice/shared.scope out rc sleeper
	mkdir "$scope"
	sleep 600 &
	sleeper=$!
	echo $sleeper >"$scope/cgroup.procs"
	out=$(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" "$BUILD/corral" check 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	if [ $rc -ne 1 ] || ! grep -q 'holds 1 other process' <<<"$out" ||
		! grep -q 'systemd-run --scope -p Delegate=yes' <<<"$out"; then
		fail "corral check in a shared cgroup: exit $rc, wanted 1 naming the other process and the fix"
	else
		pass "corral check refuses a cgroup holding another process and names the fix"
	fi
	out=$(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" "$BUILD/corral" run -- true 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	if [ $rc -ne 125 ] || ! grep -q 'Delegate=yes' <<<"$out"; then
		fail "corral run in a shared cgroup: exit $rc, wanted 125 with the fix"
	else
		pass "corral run refuses it too (125)"
	fi
	kill "$sleeper"
	wait "$sleeper" 2>/dev/null
	[ -z "$(find "$scope" -mindepth 1 -type d)" ] || fail "corral created cgroups in shared.scope"
	rmdir "$scope" || fail "shared.scope not removable"
}

# `corral run` started alone in a delegated scope (the suites start it from the harness's
# leaf instead): it must move itself into <scope>/supervisor, enable the controllers in the
# scope, and keep its tree's processes in the actor's self/ leaf. Checked from outside while
# the tree runs. $1: the scope's name, $2: what the summary calls it, the rest: a wrapper
# that ends in exec "$@" (every step execs, so $! stays corral's pid).
check_run_delegated() {
	local scope=$CG/work.slice/$1 what=$2 pid rc node bad
	shift 2
	mkdir "$scope"
	bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" "$@" "$BUILD/corral" run \
		--name vmrun --set MemoryMax=64M --set TasksMax=16 -- sleep 600 &
	pid=$!
	# the tree's node carries a random id: corral/vmrun.<id>/vmrun-1
	node=""
	# the tree runs until we stop it: poll until everything holds (or 60 s pass)
	for _ in $(seq 300); do
		bad=""
		[ -d "$node" ] || node=$(echo "$scope"/corral/vmrun.*/vmrun-1)
		[ "$(cat "$node/self/cgroup.procs" 2>/dev/null | wc -l)" -ge 2 ] ||
			bad+=" the actor's self/ does not hold the shim and sleep;"
		grep -qx "$pid" "$scope/supervisor/cgroup.procs" 2>/dev/null ||
			bad+=" corral is not in $scope/supervisor;"
		[ -z "$(cat "$scope/cgroup.procs")" ] || bad+=" the scope itself holds processes;"
		[ "$(cat "$node/memory.max" 2>/dev/null)" = 67108864 ] || bad+=" memory.max not 64M;"
		# TasksMax counts the program: pids.max is one more (the shim)
		[ "$(cat "$node/pids.max" 2>/dev/null)" = 17 ] || bad+=" pids.max not 17 (TasksMax=16 + the shim);"
		[ -z "$bad" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	[ -n "$(internal_procs "$scope")" ] && bad+=" $(internal_procs "$scope");"
	# SIGTERM starts the cascade; sleep ends at its first stage (SIGINT): 128 + 2
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ $rc -eq 130 ] || bad+=" corral run exited $rc after SIGTERM, wanted 130;"
	! ls -d "$scope"/corral/vmrun.* >/dev/null 2>&1 || bad+=" the tree's cgroups are left;"
	judge "corral run $what" "$bad" "moved into supervisor/, limits on v2, tree removed"
	drop_scope "$scope"
}

# The suites as a user runs them on a systemd host: `systemd-run --scope -p Delegate=yes make
# check` puts make, its shell and tests/run.sh into one delegated scope with the test programs;
# tests/run.sh moves that chain into <scope>/runner and gives each program a cgroup of its own,
# where the harness moves itself into <program>/supervisor (the supervisor's leaf).
run_suites() {
	local scope=$CG/work.slice/suites.scope rc left t0 out=/tmp/suites.log
	say "==== make _check TESTS='$SUITES' in $scope (CORRAL_TEST_SLOWDOWN=$SLOWDOWN)"
	t0=$(date +%s)
	mkdir "$scope"
	TESTS=$SUITES CORRAL_REQUIRE_PRIVILEGED=1 CORRAL_TEST_SLOWDOWN=$SLOWDOWN \
		CK_TIMEOUT_MULTIPLIER=$SLOWDOWN timeout -k 5 "$SUITES_TIMEOUT" \
		bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" \
		make --no-print-directory -C "$REPO" _check BUILD="$BUILD" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	# killed by the timeout: the scope is ours, end everything still in it
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo 1 >"$scope/cgroup.kill"
	say "make _check exited $rc after $(($(date +%s) - t0)) s"
	case $rc in
	0) pass "suites $SUITES: $(awk '/^100%: Checks:/ { n += $3 + 0 } END { print n + 0 }' "$out") checks passed" ;;
	124 | 137) fail "suites: killed after ${SUITES_TIMEOUT}s (hung?)" ;;
	*) fail "suites: make _check exited $rc ($(grep '^FAILED:' "$out"))" ;;
	esac
	grep -q 'each test program runs in a cgroup of its own' "$out" ||
		fail "tests/run.sh did not give the programs cgroups of their own"
	for t in $SUITES; do
		grep -q "^100%: Checks: .*" <(sed -n "/^== $t\$/,/^== /p" "$out") ||
			fail "$t: no passing Check summary"
	done
	left=$(find "$scope" -mindepth 1 -type d)
	[ -z "$left" ] || fail "suites.scope not restored: cgroups left: $left"
	[ -z "$(cat "$scope/cgroup.subtree_control")" ] ||
		fail "suites.scope not restored: subtree_control $(cat "$scope/cgroup.subtree_control")"
	rmdir "$scope" || fail "suites.scope: not removable (processes left?)"
}

say "stage 2: $(uname -r), repo $REPO, build $BUILD"
if ! setup; then
	fail "guest setup (cgroup2 mount, controllers, lo, layout)"
	finish
fi
check_delegated
check_refused
check_run_delegated run.scope "in a delegated scope"
# Inside a new cgroup namespace (a container, the third fix corral suggests) our cgroup is "/"
# but not the real root: corral must behave as in any delegated cgroup.
check_run_delegated container.scope "in a container's cgroup namespace" \
	unshare --cgroup --mount --propagation private sh -c \
	'umount /sys/fs/cgroup && mount -t cgroup2 -o nsdelegate ctr /sys/fs/cgroup && exec "$@"' sh
run_suites
# shellcheck source=tests/vm/rootless.sh
. "$REPO/tests/vm/rootless.sh"
rootless_pass
left=$(internal_procs "$CG/work.slice")
[ -z "$left" ] || fail "$left"
finish
