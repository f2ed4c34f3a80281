#!/usr/bin/env bash
# corral run's event lines, text and JSON, for a set of scenarios, compared with the ones
# recorded in tests/data/events/ (times, pids, node paths, durations and byte counts masked).
# The supervisor's code may be reshaped; what a user reads of it must not change unless the
# recording changes with it, on purpose. UPDATE=1 records instead of comparing.
set -uo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
root=$PWD
case $BUILD in
/*) build=$BUILD ;; # the VM tier passes an absolute path
*) build=$root/$BUILD ;;
esac
corral=$build/corral
actor=$build/corral-test-actor
data=$root/tests/data/events
scratch=$(mktemp -d /tmp/corral-events.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# From /: the program's working directory is then reachable wherever the checkout is (one
# under /tmp is hidden by the actor's private /tmp, which corral says in a warning line).
cd /
fails=0
count=0

if [ "$(id -u)" -ne 0 ]; then
	echo "events_golden: NOT RUN: needs root (real cgroups and namespaces)" >&2
	[ "${CORRAL_REQUIRE_PRIVILEGED:-}" = 1 ] && exit 1
	exit 77
fi

# Masks what changes from run to run.
mask() {
	sed -E \
		-e "s/$1/TREE/g" \
		-e "s#$scratch#SCRATCH#g" \
		-e 's/"time":[0-9.]+/"time":T/' \
		-e 's/("(pid|supervisor_pid|duration_ms|teardown_ms|bytes|of)":)[0-9]+/\1N/g' \
		-e 's/ (pid|supervisor_pid|duration_ms|teardown_ms|bytes|of)=[0-9]+/ \1=N/g' \
		-e 's/("node":")[^"]*"/\1NODE"/g' \
		-e 's/ node=[^ ]*/ node=NODE/g' \
		-e 's/\(pid [0-9]+\)/(pid N)/g' \
		-e 's/ in [0-9.]+ s$/ in S s/'
}

# wait_for FILE TEXT: until TEXT is in FILE (10 s at most)
wait_for() {
	local i
	for i in $(seq 500); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# Where corral must run as the only process of its cgroup (pure cgroup v2: it enables
# controllers for its children), tests/run.sh names a cgroup with them delegated; each run
# gets a cgroup of its own below it, removed afterwards.
cgdir=""
cg_enter() {
	cgdir=""
	[ -n "${CORRAL_TEST_CGROUP:-}" ] || return 0
	cgdir=$CORRAL_TEST_CGROUP/ev-$$-$count
	mkdir "$cgdir" || return 1
	in_cgroup=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgdir")
}
cg_leave() {
	[ -n "$cgdir" ] || return 0
	# corral leaves its base (<own>/corral) and, on pure v2, its supervisor leaf: empty
	# when the tree was removed, so rmdir (never recursive) takes them or says what leaked
	for d in "$cgdir/corral" "$cgdir/supervisor"; do
		[ -d "$d" ] && rmdir "$d"
	done
	rmdir "$cgdir" || { echo "events_golden: LEAK: $cgdir could not be removed" >&2 && fails=$((fails + 1)); }
}
# (a command line, not a function: $! must be corral itself, the signals are for it)
in_cgroup=()

# The recordings are of a hybrid host (this project's CI); a scenario whose events depend on
# the host's cgroup layout (host=hybrid) is compared only on such a host.
host_kind=hybrid
[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] && host_kind=pure-v2
not_compared=()

# scenario NAME FORMAT ACTION [corral run args...]: ACTION runs once corral has started
# (with $pid and $err set); the events it printed are compared (or recorded).
scenario() {
	local name=$1 fmt=$2 action=$3
	shift 3
	local tree=ev-$$-$name-$fmt err=$scratch/$name.$fmt out=$scratch/$name.$fmt.out pid rc
	if [ -n "${HOST_KIND:-}" ] && [ "$HOST_KIND" != "$host_kind" ]; then
		not_compared+=("$name.$fmt")
		return 0
	fi
	cg_enter || return 1
	# (a script's background job starts with SIGINT and SIGQUIT ignored, which corral would
	# honour and say: every scenario starts from the defaults, or from SIGNALS= when given)
	"${in_cgroup[@]}" env --default-signal ${SIGNALS:-} "$corral" run --name "$tree" --events "$fmt" "$@" >"${OUT:-$out}" 2>"$err" &
	pid=$!
	$action
	wait "$pid"
	rc=$?
	cg_leave
	echo "exit $rc" >>"$err"
	# (what another, dead, supervisor left is swept by any run: not this scenario's events)
	grep -v 'orphan-' "$err" | mask "$tree" >"$scratch/$name.$fmt.masked"
	count=$((count + 1))
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$scratch/$name.$fmt.masked" "$data/$name.$fmt"
	elif ! diff -u "$data/$name.$fmt" "$scratch/$name.$fmt.masked" >&2; then
		echo "events_golden: $name ($fmt) differs from tests/data/events/$name.$fmt" >&2
		fails=$((fails + 1))
	fi
}

none() { :; }
started() { wait_for "$err" started; }
term() { started && kill -TERM "$pid"; }
# (the program says "ready" once its signals are ignored: a signal before that would be a race)
ready() { wait_for "${OUT:-$out}" ready; }
term_ready() { started && ready && kill -TERM "$pid"; }
# HUP to a corral whose caller ignored it: nothing happens; then TERM ends the run
hup_term() { started && ready && kill -HUP "$pid" && sleep 0.3 && kill -TERM "$pid"; }
# USR1 passed on to a program that ignores it; then TERM
usr1_term() { started && ready && kill -USR1 "$pid" && sleep 0.3 && kill -TERM "$pid"; }
three() { started && ready && kill -TERM "$pid" && sleep 0.2 && kill -TERM "$pid" && sleep 0.2 && kill -TERM "$pid"; }
# a process moved into the actor's leaf from outside: only cgroup.kill can end it
foreign() {
	local node
	started || return
	node=$(sed -nE 's/.*"node":"([^"]*)".*/\1/p; s/.* node=([^ ]*) .*/\1/p' "$err" | head -1)
	sleep 30 &
	echo $! >"$node/cgroup.procs"
	disown # (its death by cgroup.kill is the point, not news for this script)
}
# (the program sleeps 3 s: the stop comes well before it ends, however slow the host; the
# cascade then wakes the shim, which passes on the SIGINT it was sent while stopped)
stop_shim() {
	local shim
	started || return
	shim=$(sed -nE 's/.*"pid":([0-9]+).*/\1/p; s/.* pid=([0-9]+) .*/\1/p' "$err" | head -1)
	kill -STOP "$shim"
}

printf 'not a program\n' >"$scratch/notexec"
chmod 644 "$scratch/notexec"
for fmt in text json; do
	scenario exit0 "$fmt" none -- "$actor" exit 0
	scenario exit3 "$fmt" none -- "$actor" exit 3
	scenario crash "$fmt" none -- "$actor" crash
	scenario notfound "$fmt" none -- /nonexistent/program
	scenario notexec "$fmt" none -- "$scratch/notexec"
	scenario sigterm "$fmt" term -- "$actor" sleep 30
	scenario ignoreint "$fmt" term_ready --set TimeoutInterruptSec=1s -- "$actor" ignore INT 30
	scenario threesignals "$fmt" three -- "$actor" ignore INT,TERM 30
	# (the program must outlive the move into its leaf: 0.5 s here, longer on a slow guest)
	scenario leftover "$fmt" foreign -- "$actor" sleep "$(awk -v f="${CORRAL_TEST_SLOWDOWN:-1}" \
		'BEGIN { print (f > 1 ? f : 1) * 0.5 }')"
	HOST_KIND=hybrid \
		scenario limits "$fmt" none --set TasksMax=16 --set MemorySwapMax=1M -- "$actor" exit 0
	CORRAL_TEST_LOOPBACK_IFINDEX=99999 \
		scenario loopback "$fmt" none --set PrivateNetwork=actor -- "$actor" exit 0
	scenario stopped "$fmt" stop_shim --set TimeoutInterruptSec=1s -- "$actor" sleep 3
	# (its output into /dev/full: writing fails, said once; the output is counted as dropped)
	OUT=/dev/full scenario dropped "$fmt" none --set Stdout=log --set Stderr=null -- "$actor" flood 2000
	SIGNALS=--ignore-signal=HUP scenario nohup "$fmt" hup_term -- "$actor" ignore 12 30
	scenario usr1 "$fmt" usr1_term -- "$actor" ignore 10 30
done
if [ "${UPDATE:-}" = 1 ]; then
	echo "events_golden: recorded $count scenarios in tests/data/events/"
	exit 0
fi
if [ $fails -gt 0 ]; then
	echo "events_golden: $fails of $count scenarios differ" >&2
	exit 1
fi
if [ ${#not_compared[@]} -gt 0 ]; then
	echo "events_golden: not compared on this $host_kind host (recorded on a hybrid one, and" \
		"their events name the host's cgroup layout): ${not_compared[*]}"
fi
echo "events_golden: $count scenarios, event lines as recorded"
