#!/usr/bin/env bash
# `make demo`: corral's main job, shown on this host.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
# From /: a program starts in corral's working directory, and a checkout under /tmp is hidden
# by the actor's private /tmp (each run would say so in a warning)
cd /
CORRAL="$BUILD/corral"
ACTOR="$BUILD/corral-test-actor"

step() { printf '\n== %s\n' "$*"; }

step "corral check: what this host offers and how corral will use it"
"$CORRAL" check

step "a sandboxed program looks around: pid 2 under corral's shim, its own hostname and /proc"
"$CORRAL" run -v --name demo-look -- /bin/sh -c '
	echo "I am pid $$ on host $(hostname); my parent is pid $PPID"
	echo "processes I can see: $(ls -d /proc/[0-9]* | wc -l)"
	echo "my open fds: $(ls /proc/self/fd | tr "\n" " ")"
	echo "my capabilities: $(grep CapEff /proc/self/status)"
	echo "my /dev: $(ls /dev | tr "\n" " ")"
	echo "a user namespace for me? $(unshare -U true 2>&1 || true)"
	touch /etc/escape 2>&1 || true'

step "a pipeline through corral is byte-exact (the program has corral's own stdio; quiet unless -v)"
"$CORRAL" run -- /usr/bin/seq 1 1000000 | cksum
/usr/bin/seq 1 1000000 | cksum

step "a policy: 32 MiB of memory for a program that wants 100 (on this host through cgroup $(
	"$CORRAL" check --json | grep -o '"memory":{"source":"v[12]"' | grep -o 'v[12]'))"
cat >"$BUILD/demo-policy.ini" <<'INI'
[profile small]
MemoryMax = 32M
TasksMax = 16
INI
"$CORRAL" run -v -p "$BUILD/demo-policy.ini" --name demo-oom -- "$ACTOR" hog 100 || echo "corral run exited with $? (oom-killed: 128 + SIGKILL)"

step "a daemonized grandchild (setsid + double fork) ends with the tree, not after it"
"$CORRAL" run -v --name demo-daemon -- "$ACTOR" daemonize 3600 0 0.5

# (a background job of a script starts with SIGINT ignored, and corral honours that, so
# the cascade is started with SIGTERM here; its first stage still sends the program SIGINT)
step "a program that ignores SIGINT: the cascade escalates to SIGTERM after 1s"
"$CORRAL" run -v --name demo-cascade --set TimeoutInterruptSec=1s -- \
	"$ACTOR" ignore INT 3600 &
pid=$!
sleep 0.5
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
echo "corral run exited with $status (128 + SIGTERM)"

step "an actor tree: the root asks corral for children over its control channel (corral.h),"
echo "   each a sandboxed actor nested in its parent's node; a leaf's failure reaches its parent"
"$CORRAL" run --name demo-tree --events json -- "$(realpath "$ACTOR")" tree 0 2>"$BUILD/demo-tree.events" ||
	echo "corral run exited with $? (the root saw a child fail)"
echo "its nodes, from the started events:"
sed -nE 's/.*"actor":"([^"]*)".*"node":"[^"]*\/(demo-tree-1[^"]*)\/self".*/  \2   (\1)/p' \
	"$BUILD/demo-tree.events"

step "the nested-error shape (the seeds' runtime deadlocked on it): 30 actors, cooperative"
echo "   spawners; a failing leaf makes its spawner cancel the rest (CANCEL_CHILD), and so on up"
"$CORRAL" run --name demo-nested --events json -- "$(realpath "$ACTOR")" tree 2 coop \
	>/dev/null 2>"$BUILD/demo-nested.events" || echo "corral run exited with $? (the root failed with its children)"
echo "one line per actor's end (every one by itself, or in stage 1: nothing was signalled):"
sed -nE -e 's/.*"time":([0-9.]+),"event":"exited".*"actor":"([^"]*)","id":([0-9]+),"parent":([0-9]+),"reason":"([^"]*)".*/  \1 s  \2 #\3 (child of #\4): \5/p' \
	-e 's/.*"time":([0-9.]+),"event":"exited".*"actor":"([^"]*)","id":([0-9]+),"reason":"([^"]*)".*/  \1 s  \2 #\3 (the root): \4/p' \
	"$BUILD/demo-nested.events"

step "a cooperative subtree cancelled gracefully: SIGTERM to corral sends CANCEL to the root,"
echo "   which cancels its children itself; they stop in stage 1 (cancelled), within milliseconds"
"$CORRAL" run -v --name demo-coop -- "$(realpath "$ACTOR")" parent 2 ready - \
	"$(realpath "$ACTOR")" wait 3600 >/dev/null &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid" && echo "corral run exited with 0"

step "a stubborn child (HELLO, then a synchronous sleep): its own cascade escalates it after"
echo "   its TimeoutCancelSec (1s), inside its parent's (10s), which then ends gracefully"
cat >"$BUILD/demo-cascade.ini" <<'INI'
[profile parent]
TimeoutCancelSec = 10s
SpawnProfiles = stubborn

[profile stubborn]
TimeoutCancelSec = 1s
INI
"$CORRAL" run -v -p "$BUILD/demo-cascade.ini" --profile parent --name demo-stubborn -- \
	"$(realpath "$ACTOR")" parent 1 ready stubborn "$(realpath "$ACTOR")" stubborn 3600 >/dev/null &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid" && echo "corral run exited with 0"

step "nothing was left: no process, cgroup node or record of the demo's trees"
procs=$(grep -l '/corral/demo-' /proc/[0-9]*/cgroup 2>/dev/null | wc -l || true)
nodes=$(find /sys/fs/cgroup -maxdepth 10 -type d -path '*/corral/demo-*' 2>/dev/null | wc -l)
records=$(find /run/corral -maxdepth 1 -name 'demo-*' 2>/dev/null | wc -l)
echo "processes: $procs, nodes: $nodes, records: $records"
[ "$procs" -eq 0 ] && [ "$nodes" -eq 0 ] && [ "$records" -eq 0 ]
