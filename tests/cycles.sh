#!/usr/bin/env bash
# No call circle between files (STYLE.md: layers, one way): from the object files' defined
# and undefined symbols (includes alone do not show who calls whom), a graph of files; any
# strongly connected group of two or more files is a circle, and fails. Product code only:
# ns/, policy/, spawner/, tools/ (the library's files, and each tool's own).
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
objs=$(find "$BUILD/ns" "$BUILD/policy" "$BUILD/spawner" "$BUILD/tools" -name '*.o' 2>/dev/null | sort)
[ -n "$objs" ] || { echo "cycles: no object files in $BUILD (build first)" >&2; exit 2; }
for o in $objs; do
	src=${o#"$BUILD"/}
	[ -f "${src%.o}.c" ] || continue # a stale object of a file that is gone
	nm "$o" | awk -v f="${src%.o}.c" '$1 == "U" {print "U", f, $2} NF == 3 && $2 ~ /[TDBR]/ {print "D", f, $3}'
done | awk '
$1 == "D" { def[$3] = $2 }
$1 == "U" { use[++n] = $2 " " $3 }
END {
	for (i = 1; i <= n; i++) {
		split(use[i], p, " ")
		if ((p[2] in def) && def[p[2]] != p[1]) {
			e = p[1] " " def[p[2]]
			if (!(e in seen)) { seen[e] = p[2]; print p[1], def[p[2]], p[2] }
		}
	}
}' | python3 -c '
import sys
from collections import defaultdict
edges = defaultdict(dict)
for line in sys.stdin:
    a, b, sym = line.split()
    edges[a][b] = sym
nodes = set(edges) | {b for a in edges for b in edges[a]}
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges.get(v, {}):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in sorted(nodes):
    if v not in index: strong(v)
for comp in sccs:
    print("cycles: a call circle between " + ", ".join(comp) + ":", file=sys.stderr)
    for a in comp:
        for b, sym in sorted(edges.get(a, {}).items()):
            if b in comp: print(f"  {a} -> {b} ({sym})", file=sys.stderr)
sys.exit(1 if sccs else 0)
' && echo "cycles: no call circle between files"
