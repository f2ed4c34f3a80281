#!/usr/bin/env bash
# The library surface (HACKING.md "Layout", make install): what `make install` puts on a system
# is the corral command, the client API's header, libcorral.so and corral.pc; the library
# exports exactly the functions corral.h declares; a program built from the installed header
# and `pkg-config corral` alone spawns a child as an actor and gets its CHILD_EXITED; and no
# tool reaches into the supervisor's internals (tools/ includes no spawner/sup.h).
set -uo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
dest=$(mktemp -d /tmp/corral-install.XXXXXX) && chmod 755 "$dest" # (the example runs as nobody)
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
mapfile -t libs < <(find "$dest" \( -name '*.so*' -o -name '*.a' \) -type f)
if [ ${#libs[@]} -ne 1 ] || [ "$(basename "${libs[0]}")" != libcorral.so.1 ]; then
	echo "install_check: expected libcorral.so.1 alone, installed: ${libs[*]:-nothing}" >&2
	bad=1
fi
declared=$(grep -oE '^[a-z][a-z0-9_ *]*[ *]corral_[a-z_]+\(' spawner/corral.h |
	grep -oE 'corral_[a-z_]+' | sort)
for lib in "${libs[@]}"; do
	exported=$(nm -D --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 == "T" {print $3}' | sort)
	if [ "$exported" != "$declared" ]; then
		echo "install_check: $lib exports other functions than corral.h declares:" >&2
		diff <(echo "$declared") <(echo "$exported") | sed 's/^/  /' >&2
		bad=1
	fi
done
[ -x "$dest/usr/local/bin/corral" ] || {
	echo "install_check: the corral command was not installed" >&2
	bad=1
}
[ -f "$dest/usr/local/include/corral.h" ] || {
	echo "install_check: corral.h was not installed" >&2
	bad=1
}
for f in share/man/man1/corral.1 share/bash-completion/completions/corral; do
	[ -f "$dest/usr/local/$f" ] || {
		echo "install_check: $f was not installed" >&2
		bad=1
	}
done
if [ -f "$dest/usr/local/share/man/man1/corral.1" ] &&
	! MANPAGER=cat man -l "$dest/usr/local/share/man/man1/corral.1" >/dev/null 2>&1; then
	echo "install_check: the installed man page does not render (man -l)" >&2
	bad=1
fi

# A client built from what was installed, and nothing else. (Not from a sanitizer build's
# library, which needs its compiler's runtime: `make check` builds and runs it.)
pc="$dest/usr/local/lib/pkgconfig"
if nm -D --undefined-only "${libs[0]:-/dev/null}" 2>/dev/null | grep -q __asan_init; then
	echo "install_check: libcorral.so is a sanitizer build: the installed client is built and" \
		"run by the plain build's check, not here"
	client="(a sanitizer build: no client run)"
elif flags=$(PKG_CONFIG_PATH="$pc" pkg-config --define-prefix --cflags --libs corral) &&
	cc -std=gnu11 -Wall -Werror -o "$dest/client_example" tests/data/client_example.c $flags \
		-Wl,-rpath,"$dest/usr/local/lib"; then
	if [ "$(id -u)" = 0 ]; then
		# (PrivateTmp=no: the install lives below /tmp. On pure cgroup v2 corral must be the
		# only process of its cgroup: tests/run.sh names one with controllers delegated, and
		# the run gets a cgroup of its own below it, as in events_golden.sh.)
		cg=()
		if [ -n "${CORRAL_TEST_CGROUP:-}" ]; then
			cgdir=$CORRAL_TEST_CGROUP/install-check-$$
			mkdir "$cgdir" && cg=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgdir")
		fi
		out=$("${cg[@]}" "$BUILD/corral" run -q --set PrivateTmp=no -- "$dest/client_example" \
			/bin/true 2>&1)
		if [ -n "${cgdir:-}" ]; then
			for d in "$cgdir/corral" "$cgdir/supervisor" "$cgdir"; do
				[ -d "$d" ] && rmdir "$d"
			done
		fi
		if ! grep -q '^child [0-9]* exited 0$' <<<"$out"; then
			echo "install_check: the installed client did not get its child's CHILD_EXITED:" >&2
			echo "$out" | sed 's/^/  /' >&2
			bad=1
		fi
	else
		echo "install_check: not root: the installed client was built but not run as an actor"
		[ "${CORRAL_REQUIRE_PRIVILEGED:-}" = 1 ] && bad=1
	fi
else
	echo "install_check: a program could not be built from corral.h and pkg-config corral" >&2
	bad=1
fi

# The Python client: make install put it where Debian's python3 finds a local install (here
# below DESTDIR: PYTHONPATH), `import corral` needs no trio, pip installs it from the checkout
# into a venv offline (as README.md says), and README.md's example runs as an actor with the
# installed package.
PYTHON=${PYTHON:-/usr/bin/python3}
pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
site=$dest/usr/local/lib/python$pyver/dist-packages
if ! got=$(PYTHONPATH=$site "$PYTHON" -c 'import sys, corral
assert "trio" not in sys.modules, "import corral imported trio"
import corral.trio
print(corral.__file__)' 2>&1) || [ "$got" != "$site/corral/__init__.py" ]; then
	echo "install_check: the installed Python client is not where $PYTHON finds it: $got" >&2
	bad=1
fi
# (a copy of the checkout's directory: pip builds in the source tree)
mkdir "$dest/src" && cp -r spawner/client/python/pyproject.toml spawner/client/python/corral \
	"$dest/src/" && rm -rf "$dest/src/corral/__pycache__"
if ! "$PYTHON" -m venv --system-site-packages "$dest/venv" >"$dest/pip.log" 2>&1 ||
	! "$dest/venv/bin/pip" install -q --no-index --no-build-isolation "$dest/src" \
		>>"$dest/pip.log" 2>&1 ||
	[ "$("$dest/venv/bin/python" -c 'import corral.trio, corral; print(corral.__file__)')" != \
		"$dest/venv/lib/python$pyver/site-packages/corral/__init__.py" ]; then
	cat "$dest/pip.log" >&2
	echo "install_check: pip did not install the Python client into a venv from the checkout" >&2
	bad=1
fi
sed -n '/<!-- BEGIN python example -->/,/<!-- END python example -->/p' README.md |
	sed '1,2d;$d' | sed '$d' >"$dest/example.py"
chmod 644 "$dest/example.py"
if [ "$(id -u)" = 0 ]; then
	cg=()
	if [ -n "${CORRAL_TEST_CGROUP:-}" ]; then
		cgdir=$CORRAL_TEST_CGROUP/install-check-py-$$
		mkdir "$cgdir" && cg=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgdir")
	fi
	out=$("${cg[@]}" "$BUILD/corral" run -q --set PrivateTmp=no -e PYTHONPATH="$site" \
		-- "$PYTHON" "$dest/example.py" 2>&1)
	if [ -n "${cgdir:-}" ] && [ -d "$cgdir" ]; then
		for d in "$cgdir/corral" "$cgdir/supervisor" "$cgdir"; do
			[ -d "$d" ] && rmdir "$d"
		done
	fi
	for line in "[w1] worker cancelled" "[w2] worker cancelled" "w1 cancelled 0" "w2 cancelled 0"; do
		if ! grep -qxF "$line" <<<"$out"; then
			echo "install_check: README.md's Python example did not print '$line':" >&2
			echo "$out" | sed 's/^/  /' >&2
			bad=1
		fi
	done
else
	echo "install_check: not root: README.md's Python example was not run as an actor"
	[ "${CORRAL_REQUIRE_PRIVILEGED:-}" = 1 ] && bad=1
fi
if grep -rnE '#include "(\.\./spawner/)?sup\.h"' tools/ >&2; then
	echo "install_check: a tool includes the supervisor's internals (spawner/sup.h)" >&2
	bad=1
fi
[ $bad -eq 0 ] || exit 1
client=${client:-"a client built from them got its child's CHILD_EXITED"}
echo "install_check: the corral command, corral.h, libcorral.so.1 exporting exactly what" \
	"corral.h declares ($(echo "$declared" | wc -l) functions), corral.pc, corral(1) (it" \
	"renders) and the bash completion; $client; the Python client where $PYTHON finds it," \
	"and by pip into a venv; README.md's Python example ran; no tool includes sup.h"
