#!/usr/bin/env bash
# `make demo`: corral's main job, shown on this host.
set -euo pipefail
BUILD=${1:-build}
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
