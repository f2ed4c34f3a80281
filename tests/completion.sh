#!/usr/bin/env bash
# The bash completion (tools/corral.bash) driven as bash drives it: COMP_WORDS and COMP_CWORD
# set, the function called, COMPREPLY read. Also the man page (tools/corral.1) rendered by
# man(1) from the file, as `man -l` shows it after `make install`.
set -uo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
case $BUILD in # the corral the completion asks for the key names
/*) PATH="$BUILD:$PATH" ;;
*) PATH="$PWD/$BUILD:$PATH" ;;
esac
export PATH
fail=0
say() { echo "completion: $*"; }

# shellcheck source=/dev/null
source tools/corral.bash

# complete WORDS...: the words typed so far, the last one being completed
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_corral
	printf '%s\n' "${COMPREPLY[@]}"
}

expect() { # expect WANT WORDS...: WANT is among the completions
	local want=$1 got
	shift
	got=$(complete_words "$@")
	if ! grep -qx -- "$want" <<<"$got"; then
		say "'$*' did not offer '$want' (got: $(tr '\n' ' ' <<<"$got"))"
		fail=1
	fi
}

expect run corral ru
expect policy corral pol
expect MemoryMax= corral run --set Memo
expect MemoryHigh= corral run --set Memo
expect RuntimeMaxSec= corral run --set Runt
expect --timeout corral run --time
expect default corral policy def
expect --kill corral gc --k
# control: nothing that does not start with what was typed
if complete_words corral run --set Memo | grep -v '^$' | grep -qv '^Memory'; then
	say "'--set Memo' offered keys that do not start with Memo"
	fail=1
fi

# live names: a tree of three actors runs while its names are completed (root: corral run)
if [ "$(id -u)" -eq 0 ]; then
	tree=completion-$$
	actor=$(command -v corral-test-actor)
	out=$(mktemp)
	# on pure v2 (tests/run.sh): corral alone in a cgroup of its own below CORRAL_TEST_CGROUP
	cg=""
	if [ -n "${CORRAL_TEST_CGROUP:-}" ]; then
		cg=$CORRAL_TEST_CGROUP/completion-$$
		mkdir "$cg"
	fi
	(cd / && { [ -z "$cg" ] || echo $BASHPID >"$cg/cgroup.procs"; } &&
		exec corral run --name "$tree" -- "$actor" parent 2 ready - "$actor" wait 60) \
		>"$out" 2>&1 &
	runpid=$!
	cg_leave() { # (corral leaves its base and supervisor leaf, empty: rmdir, never recursive)
		[ -z "$cg" ] || rmdir "$cg/corral" "$cg/supervisor" "$cg" 2>/dev/null ||
			[ ! -d "$cg" ] || { say "$cg could not be removed"; fail=1; }
	}
	trap 'corral kill --force "$tree" >/dev/null 2>&1; wait "$runpid"; rm -f "$out"; cg_leave' EXIT
	for _ in $(seq 100); do
		grep -q "ready 3" "$out" && grep -q "ready 2" "$out" && break
		sleep 0.1
	done
	expect "$tree" corral kill "${tree%-*}"
	expect "$tree/$tree/c0" corral kill "$tree/$tree/"
	expect "$tree/$tree/c1" corral stat "$tree/"
	expect "$tree:3" corral sockets "$tree:"
	expect "$tree" corral tree "$tree"
	# as bash splits it: TREE : ID, with COMP_LINE whole; only what follows the colon is offered
	COMP_LINE="corral kill $tree:"
	COMP_POINT=${#COMP_LINE}
	expect 2 corral kill "$tree" : ""
	unset COMP_LINE COMP_POINT
	corral kill "$tree" >/dev/null || { say "corral kill $tree failed"; fail=1; }
	wait "$runpid"
	trap - EXIT
	rm -f "$out"
	cg_leave
	# control: a tree that ended is no longer offered
	if complete_words corral kill "$tree" | grep -qx -- "$tree"; then
		say "an ended tree ($tree) is still offered"
		fail=1
	fi
elif [ "${CORRAL_REQUIRE_PRIVILEGED:-0}" = 1 ]; then
	say "live names were not completed: not root (CORRAL_REQUIRE_PRIVILEGED=1)"
	fail=1
else
	say "NOT RUN: completing live tree and actor names needs root (corral run)"
fi

# the man page renders, with every command in it
if command -v man >/dev/null 2>&1; then
	page=$(MANWIDTH=80 MANPAGER=cat man -l tools/corral.1 2>&1) || {
		say "man -l tools/corral.1 failed: $page"
		fail=1
	}
	for w in "corral run" "corral check" "corral policy check" "corral gc" "EXIT STATUS" \
		"--timeout"; do
		grep -qF -- "$w" <<<"$page" || {
			say "the man page lacks '$w'"
			fail=1
		}
	done
else
	say "man is not installed (make deps installs man-db): the man page was not rendered"
	fail=1
fi

[ "$fail" -eq 0 ] && say "subcommands, flags, key names and live names complete; the man page renders"
exit "$fail"
