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
"$CORRAL" run --name demo-look -- /bin/sh -c '
	echo "I am pid $$ on host $(hostname); my parent is pid $PPID"
	echo "processes I can see: $(ls -d /proc/[0-9]* | wc -l)"
	echo "my open fds: $(ls /proc/self/fd | tr "\n" " ")"'

step "a daemonized grandchild (setsid + double fork) ends with the tree, not after it"
"$CORRAL" run --name demo-daemon -- "$ACTOR" daemonize 3600 0 0.5

# (a background job of a script starts with SIGINT ignored, and corral honours that, so
# the cascade is started with SIGTERM here; its first stage still sends the program SIGINT)
step "a program that ignores SIGINT: the cascade escalates to SIGTERM after 1s"
"$CORRAL" run --name demo-cascade --set TimeoutInterruptSec=1s -- \
	"$ACTOR" ignore INT 3600 &
pid=$!
sleep 0.5
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
echo "corral run exited with $status (128 + SIGTERM)"
