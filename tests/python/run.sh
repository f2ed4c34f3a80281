#!/usr/bin/env bash
# The Python client's tests (tests/python/, pytest) with Debian's /usr/bin/python3: the
# python3 first on a developer's PATH may be a pyenv shim in root's home, and the actors run
# this interpreter too. Exit 0 when they passed, 77 when the privileged ones could not run
# (and CORRAL_REQUIRE_PRIVILEGED is not 1: then that is a failure), 1 otherwise; pytest's
# 5 (no test collected) is a failure, never a pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${CORRAL_TEST_PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import pytest, trio' 2>/dev/null; then
	echo "python: $PYTHON cannot import pytest and trio (Debian: python3-pytest python3-trio;" \
		"make deps installs them)" >&2
	exit 1
fi
# (no bytecode or cache files in the checkout; -v -rs: every test and every skip's reason)
PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m pytest -p no:cacheprovider -v -rs -s tests/python "$@"
rc=$?
case $rc in
0 | 77) exit $rc ;;
5)
	echo "python: pytest collected no test: FAIL" >&2
	exit 1
	;;
*) exit 1 ;;
esac
