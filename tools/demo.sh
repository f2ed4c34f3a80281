#!/usr/bin/env bash
# `make demo`: corral's main job, shown on this host.
set -euo pipefail
BUILD=${1:-build}
CORRAL="$BUILD/corral"

echo "== corral check: what this host offers and how corral will use it"
"$CORRAL" check
