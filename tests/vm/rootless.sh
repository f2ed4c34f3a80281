# shellcheck shell=bash
# The guest's second pass (issue 25, DESIGN §12), sourced by stage2.sh: corral as an
# unprivileged user (uid 1000) in a cgroup delegated to it the way systemd delegates one
# (user@UID.service, `systemd-run --user --scope -p Delegate=yes`): the directory and its
# cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to the user, with
# XDG_RUNTIME_DIR=/run/user/1000 as pam_systemd makes it.
#
#   work.slice/
#       user-check.scope/      `corral check` as the user: rootless mode, v2 controllers
#       user-run.scope/        `corral run` as the user; root's `corral ps` sees the tree
#       user-nouserns.scope/   user.max_user_namespaces=0: check and run refuse, nothing made
#       user-noclone.scope/    Debian's kernel.unprivileged_userns_clone=0: the same
#       cpu-only.slice/user.scope/  delegated, but memory and pids never enabled for it
#       user-shared.scope/     not delegated (root's): check and run refuse, nothing made
#       user-suites.scope/     the run, limits, confinement and tree suites as the user

RL_UID=1000
RL_GID=1000
RL_RUN=/run/user/$RL_UID
RL_HOME=/tmp/home-$RL_UID

rootless_setup() {
	mkdir -p "$RL_RUN" "$RL_HOME" || return 1
	chown "$RL_UID:$RL_GID" "$RL_RUN" "$RL_HOME" && chmod 0700 "$RL_RUN"
}

# A cgroup delegated to the user, as systemd makes one.
user_scope() {
	mkdir "$1" && chown "$RL_UID:$RL_GID" "$1" "$1/cgroup.procs" \
		"$1/cgroup.subtree_control" "$1/cgroup.threads"
}

# Run "$@" as the user, alone in cgroup $1 (moved there while still root).
as_user_in() {
	local scope=$1
	shift
	bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" \
		setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
		env -i PATH="$PATH" HOME="$RL_HOME" LANG=C.UTF-8 XDG_RUNTIME_DIR="$RL_RUN" "$@"
}

# Nothing of corral's below $1, and no record of it in the user's registry.
nothing_created() {
	[ -z "$(find "$1" -mindepth 1 -type d)" ] &&
		[ -z "$(find "$RL_RUN/corral" -mindepth 1 2>/dev/null)" ]
}

rootless_check() {
	local scope=$CG/work.slice/user-check.scope out rc
	user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
	out=$(as_user_in "$scope" "$BUILD/corral" check 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	if [ $rc -ne 0 ]; then
		fail "rootless corral check in a delegated cgroup exited $rc"
	elif ! grep -q '^  mode  *rootless (uid 1000): every actor in a user namespace' <<<"$out"; then
		fail "rootless corral check does not report rootless mode"
	elif [ "$(grep -Ec '^  (memory|pids|cpu)  *v2 ' <<<"$out")" -ne 3 ]; then
		fail "rootless corral check does not take memory, pids and cpu from v2"
	else
		pass "rootless corral check: rootless mode, memory/pids/cpu from v2"
	fi
	nothing_created "$scope" || fail "rootless corral check left something: $(find "$scope" -mindepth 1 -type d)"
	rmdir "$scope" || fail "user-check.scope not removable"
}

# corral run as the user: its ids inside, limits on the user's v2 nodes, the tree seen and
# ended by root, and no way from the actor to a socket in the user's XDG_RUNTIME_DIR.
rootless_run() {
	local scope=$CG/work.slice/user-run.scope pid rc node bad="" bad_now out=/tmp/rootless-run.out
	local sock=$RL_RUN/agent.sock listener
	user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
	# a live socket of the user's, as an agent or the session bus keeps there
	setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups /usr/bin/python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
deadline = time.time() + 300
while time.time() < deadline:
    s.settimeout(deadline - time.time())
    try:
        c, _ = s.accept(); c.close()
    except OSError:
        break
' "$sock" &
	listener=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	as_user_in "$scope" /usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$sock" ||
		bad+=" the user's own socket is not reachable from outside corral (the check below would prove nothing);"
	as_user_in "$scope" "$BUILD/corral" run --name rlrun --set MemoryMax=64M --set TasksMax=16 \
		-- /bin/sh -c 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/setgroups
if /usr/bin/python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])" '"$sock"' 2>/dev/null
then echo XDG-REACHED; else echo XDG-HIDDEN; fi
echo ready; exec sleep 600' >"$out" 2>"$out.err" &
	pid=$!
	node=""
	for _ in $(seq 300); do
		bad_now=""
		[ -d "$node" ] || node=$(echo "$scope"/corral/rlrun.*/rlrun-1)
		grep -q '^ready$' "$out" || bad_now+=" the program did not start;"
		# ($! is a subshell's: as_user_in is a function; corral is the leaf's one process)
		[ "$(cat "/proc/$(cat "$scope/supervisor/cgroup.procs" 2>/dev/null)/comm" 2>/dev/null)" = corral ] ||
			bad_now+=" corral is not alone in $scope/supervisor;"
		[ "$(cat "$node/memory.max" 2>/dev/null)" = 67108864 ] || bad_now+=" memory.max not 64M;"
		[ "$(cat "$node/pids.max" 2>/dev/null)" = 17 ] || bad_now+=" pids.max not 17;"
		[ -z "$bad_now" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	bad+=$bad_now
	# (the program's stdout alone: corral's warnings, e.g. a working directory the actor
	# cannot see, go to stderr)
	sed 's/^/    /' "$out" "$out.err"
	[ "$(sed -n 1p "$out")" = "$RL_UID" ] && [ "$(sed -n 2p "$out")" = "$RL_GID" ] ||
		bad+=" the program does not run as uid/gid $RL_UID;"
	grep -Eq "^ *$RL_UID +$RL_UID +1$" "$out" || bad+=" uid_map is not '$RL_UID $RL_UID 1';"
	grep -qx deny "$out" || bad+=" setgroups is not deny;"
	grep -qx XDG-HIDDEN "$out" || bad+=" the actor reached a socket in \$XDG_RUNTIME_DIR;"
	[ "$(stat -c %u "$node" 2>/dev/null)" = "$RL_UID" ] || bad+=" the node is not the user's;"
	[ -S "$RL_RUN/corral/rlrun.sock" ] || bad+=" no admin socket in \$XDG_RUNTIME_DIR/corral;"
	# root sees users' trees (and may end them, as below)
	"$BUILD/corral" ps | grep -q '^rlrun ' || bad+=" root's corral ps does not list the user's tree;"
	"$BUILD/corral" ps --json | grep -qF "\"tree\":\"rlrun\",\"status\":\"running\",\"supervisor_pid\":" ||
		bad+=" root's corral ps --json does not show the user's tree running;"
	"$BUILD/corral" ps --json | grep -qF "\"registry\":\"$RL_RUN/corral\"" ||
		bad+=" root's corral ps --json does not name the user's registry;"
	"$BUILD/corral" kill rlrun >/dev/null 2>&1 || bad+=" root's corral kill of the user's tree failed;"
	wait "$pid"
	rc=$?
	[ $rc -eq 130 ] || bad+=" corral run exited $rc after root's kill, wanted 130;"
	! ls -d "$scope"/corral/rlrun.* >/dev/null 2>&1 || bad+=" the tree's cgroups are left;"
	[ ! -e "$RL_RUN/corral/rlrun.json" ] || bad+=" its registry record is left;"
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
	rm -f "$sock"
	judge "rootless corral run" "$bad" "uid $RL_UID inside, setgroups deny, limits on the user's v2 nodes, XDG_RUNTIME_DIR hidden, root's ps and kill see it"
	drop_scope "$scope"
}

# One refusal: check exits 1 and run 125, both saying $3, and nothing is created.
# $1 scope (made by the caller), $2 what, $3 the expected words.
rootless_refused() {
	local scope=$1 what=$2 want=$3 out rc bad=""
	out=$(as_user_in "$scope" "$BUILD/corral" check 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	[ $rc -eq 1 ] || bad+=" check exited $rc, wanted 1;"
	grep -qF "$want" <<<"$out" || bad+=" check does not say '$want';"
	out=$(as_user_in "$scope" "$BUILD/corral" run -- /bin/true 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	[ $rc -eq 125 ] || bad+=" run exited $rc, wanted 125;"
	grep -qF "$want" <<<"$out" || bad+=" run does not say '$want';"
	[ "$(grep -c . <<<"$out")" -eq 1 ] || bad+=" run said more than one line;"
	nothing_created "$scope" || bad+=" something was created: $(find "$scope" "$RL_RUN" -mindepth 1);"
	judge "rootless refusal ($what)" "$bad" "check 1, run 125, one reason, nothing created"
}

rootless_refusals() {
	local scope=$CG/work.slice/user-nouserns.scope was
	user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
	was=$(cat /proc/sys/user/max_user_namespaces)
	echo 0 >/proc/sys/user/max_user_namespaces
	rootless_refused "$scope" "user.max_user_namespaces=0" "user.max_user_namespaces is 0"
	echo "$was" >/proc/sys/user/max_user_namespaces
	rmdir "$scope" || fail "$scope not removable"
	# Debian's own switch (its kernels carry it; upstream ones do not)
	if [ -w /proc/sys/kernel/unprivileged_userns_clone ]; then
		scope=$CG/work.slice/user-noclone.scope
		user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
		was=$(cat /proc/sys/kernel/unprivileged_userns_clone)
		echo 0 >/proc/sys/kernel/unprivileged_userns_clone
		rootless_refused "$scope" "kernel.unprivileged_userns_clone=0" \
			"kernel.unprivileged_userns_clone is 0"
		echo "$was" >/proc/sys/kernel/unprivileged_userns_clone
		rmdir "$scope" || fail "$scope not removable"
	fi
	# delegated, but below a slice that gave it cpu alone: no memory, no pids to limit with
	mkdir "$CG/work.slice/cpu-only.slice" && echo +cpu >"$CG/work.slice/cpu-only.slice/cgroup.subtree_control"
	scope=$CG/work.slice/cpu-only.slice/user.scope
	user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
	rootless_refused "$scope" "memory and pids not delegated" \
		"the memory and pids controllers are not enabled for our cgroup"
	rmdir "$scope" "$CG/work.slice/cpu-only.slice" || fail "cpu-only.slice not removable"
	# root's cgroup, not delegated: the user cannot write it
	scope=$CG/work.slice/user-shared.scope
	mkdir "$scope"
	rootless_refused "$scope" "a cgroup not delegated to the user" "systemd-run --user --scope -p Delegate=yes"
	rmdir "$scope" || fail "$scope not removable"
}

# The suites as the user (make _check as in run_suites), within their own time budget.
rootless_suites() {
	local scope=$CG/work.slice/user-suites.scope rc t0 out=/tmp/rootless-suites.log t left
	say "==== rootless: make _check TESTS='$RL_SUITES' as uid $RL_UID in $scope (budget ${RL_TIMEOUT}s)"
	t0=$(date +%s)
	user_scope "$scope" || { fail "rootless: cannot make a delegated scope"; return; }
	TESTS=$RL_SUITES timeout -k 5 "$RL_TIMEOUT" \
		bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$scope" \
		setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
		env -i PATH="$PATH" HOME="$RL_HOME" LANG=C.UTF-8 XDG_RUNTIME_DIR="$RL_RUN" \
		TESTS="$RL_SUITES" CORRAL_REQUIRE_PRIVILEGED=1 CORRAL_TEST_SLOWDOWN="$SLOWDOWN" \
		CK_TIMEOUT_MULTIPLIER="$SLOWDOWN" RUN_SCRIPTS=0 \
		make --no-print-directory -C "$REPO" _check BUILD="$BUILD" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo 1 >"$scope/cgroup.kill"
	say "rootless make _check exited $rc after $(($(date +%s) - t0)) s (budget ${RL_TIMEOUT}s)"
	case $rc in
	0) pass "rootless suites $RL_SUITES: $(awk '/^100%: Checks:/ { n += $3 + 0 } END { print n + 0 }' "$out") checks passed, $(grep -c '^SKIP (rootless) ' "$out") named as needing root" ;;
	124 | 137) fail "rootless suites: killed after ${RL_TIMEOUT}s (hung?)" ;;
	*) fail "rootless suites: make _check exited $rc ($(grep '^FAILED:' "$out"))" ;;
	esac
	grep '^SKIP (rootless) ' "$out" | sed 's/^/vm:   /'
	for t in $RL_SUITES; do
		grep -q "^100%: Checks: .*" <(sed -n "/^== $t\$/,/^== /p" "$out") ||
			fail "rootless $t: no passing Check summary"
	done
	left=$(find "$scope" -mindepth 1 -type d)
	[ -z "$left" ] || fail "user-suites.scope: cgroups left: $left"
	rmdir "$scope" || fail "user-suites.scope: not removable (processes left?)"
}

rootless_pass() {
	say "==== rootless pass (uid $RL_UID, XDG_RUNTIME_DIR=$RL_RUN)"
	if ! rootless_setup; then
		fail "rootless: cannot make $RL_RUN and $RL_HOME"
		return
	fi
	rootless_check
	rootless_run
	rootless_refusals
	[ -n "$RL_SUITES" ] && rootless_suites
	[ -z "$(find "$RL_RUN/corral" -mindepth 1 2>/dev/null)" ] ||
		fail "rootless: records left in $RL_RUN/corral: $(ls "$RL_RUN/corral")"
}
