#!/usr/bin/env bash
# Rootless where this host cannot take it (issue 25; README "Rootless"): as an unprivileged
# user (nobody) in a cgroup not delegated to it, on whatever host this is (hybrid here, where
# the v1 hierarchies are the first reason; on pure v2 the undelegated cgroup is), `corral
# check` exits 1 and `corral run` 125 with the same one reason and its fix, and nothing is
# created: no cgroup below our own, no registry. The positive side runs in the pure-v2 guest
# (tests/vm/rootless.sh). Needs root (to become nobody); 77 without it.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
CORRAL=$(cd "$BUILD" && pwd)/corral
say() { echo "rootless_host: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	say "not run: needs root to become an unprivileged user"
	exit 77
fi
run_dir=$(mktemp -d /tmp/corral-rootless-XXXXXX)
trap 'rm -rf "$run_dir"' EXIT
chown 65534 "$run_dir" && chmod 0700 "$run_dir"
as_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/ XDG_RUNTIME_DIR="$run_dir" "$@"
}
if ! as_nobody test -x "$CORRAL"; then
	say "FAIL: nobody cannot execute $CORRAL (a build directory others cannot enter?)"
	exit 1
fi
# (anything nobody's corral made is nobody's: other work on this host, root's own corral runs
# included, may create cgroups meanwhile)
v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
own=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)
made() { find "$own" -maxdepth 3 -user 65534 2>/dev/null; }
if [ -n "$(made)" ]; then
	say "FAIL: cgroups of nobody's exist below $own before the test: $(made)"
	exit 1
fi

bad=""
check=$(as_nobody "$CORRAL" check 2>&1)
rc=$?
[ $rc -eq 1 ] || bad+=" check exited $rc, wanted 1;"
reason=$(sed -n 's/^  reason  *//p' <<<"$check")
grep -q '^  mode  *rootless (uid 65534)' <<<"$check" || bad+=" check does not report rootless mode;"
if grep -q ' - cgroup ' /proc/self/mountinfo; then
	grep -q 'rootless corral needs a pure cgroup v2 host' <<<"$reason" ||
		bad+=" a host with v1 hierarchies is not the reason given: '$reason';"
else
	grep -q 'not delegated' <<<"$reason" || bad+=" an undelegated cgroup is not the reason given: '$reason';"
fi
run=$(as_nobody "$CORRAL" run -- /bin/true 2>&1)
rc=$?
[ $rc -eq 125 ] || bad+=" run exited $rc, wanted 125;"
[ "$(grep -c . <<<"$run")" -eq 1 ] || bad+=" run said more than one line: $run;"
[ -n "$reason" ] && grep -qF "$reason" <<<"$run" || bad+=" run's words are not check's reason: '$run';"
[ -z "$(find "$run_dir" -mindepth 1)" ] || bad+=" something was created in XDG_RUNTIME_DIR;"
[ -z "$(made)" ] || bad+=" cgroups were created below $own: $(made);"
if [ -n "$bad" ]; then
	echo "$check" | sed 's/^/    /'
	echo "    $run"
	say "FAIL:$bad"
	exit 1
fi
say "as nobody: check 1 and run 125 with one reason ($reason), nothing created"
