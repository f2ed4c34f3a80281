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

[ "$fail" -eq 0 ] && say "subcommands, flags and key names complete; the man page renders"
exit "$fail"
