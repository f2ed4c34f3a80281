#!/usr/bin/env bash
# The README prints the built-in default profile in full; this keeps it honest.
set -euo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
want=$(sed -n '/<!-- BEGIN default profile -->/,/<!-- END default profile -->/p' README.md |
	sed '1,2d;$d' | sed '$d')
got=$("$BUILD/corral" policy default)
if [ "$want" != "$got" ]; then
	echo "README.md's default profile differs from \`corral policy default\`:" >&2
	diff <(echo "$want") <(echo "$got") >&2 || true
	exit 1
fi
echo "README default profile matches corral policy default"
