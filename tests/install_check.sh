#!/usr/bin/env bash
# The library surface (HACKING.md "Layout", make install): what `make install` puts on a system exports
# nothing but corral_* (no library at all until the public client API exists), and no tool
# reaches into the supervisor's internals (tools/ includes no spawner/sup.h).
set -uo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
dest=$(mktemp -d /tmp/corral-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
bad=0

if ! make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local \
	>"$dest.log" 2>&1; then
	cat "$dest.log" >&2
	echo "install_check: make install failed" >&2
	rm -f "$dest.log"
	exit 1
fi
rm -f "$dest.log"
mapfile -t libs < <(find "$dest" \( -name '*.so*' -o -name '*.a' \) \( -type f -o -type l \))
for lib in "${libs[@]}"; do
	foreign=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $3 !~ /^corral_/ {print $3}')
	if [ -n "$foreign" ]; then
		echo "install_check: $lib exports symbols that are not corral_*:" >&2
		echo "$foreign" | head -20 | sed 's/^/  /' >&2
		bad=1
	fi
done
[ -x "$dest/usr/local/bin/corral" ] || {
	echo "install_check: the corral command was not installed" >&2
	bad=1
}
if grep -rnE '#include "(\.\./spawner/)?sup\.h"' tools/ >&2; then
	echo "install_check: a tool includes the supervisor's internals (spawner/sup.h)" >&2
	bad=1
fi
[ $bad -eq 0 ] || exit 1
echo "install_check: installed ${#libs[@]} libraries (none before the public client API)," \
	"the corral command; no tool includes sup.h"
