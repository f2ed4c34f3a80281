"""pytest's side of the harness (harness.py): the package on sys.path for the unit tests, the
privileged probe (a skip that says why, or with CORRAL_REQUIRE_PRIVILEGED=1 a failure), the
package staged where a nobody actor can read it, and `corral run` with the leak check after
every test, failed ones included. When the privileged tests could not run and nothing
failed, the session exits 77, as a C suite does (tests/run.sh)."""

import functools
import inspect
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "spawner" / "client" / "python"))

import harness  # noqa: E402

_not_run = []


@pytest.fixture(scope="session")
def host():
    """The privileged tests' host: root, cgroup v2, corral built; else a skip (a failure
    with CORRAL_REQUIRE_PRIVILEGED=1)."""
    cgroup_base = os.environ.get("CORRAL_TEST_CGROUP") or None
    why = harness.probe(cgroup_base)
    if why:
        if harness.require_privileged():
            pytest.fail(f"PRIVILEGED TESTS NOT RUN: {why}. CORRAL_REQUIRE_PRIVILEGED=1: a failure.")
        _not_run.append(why)
        pytest.skip(f"PRIVILEGED TESTS NOT RUN: {why}")
    # (not under /tmp: an actor's /tmp is its own)
    stage = harness.stage_package(Path(f"/run/corral-test-python-{os.getpid()}"))
    yield {"stage": stage, "cgroup_base": cgroup_base}
    shutil.rmtree(stage, ignore_errors=True)


@pytest.fixture
def corral_run(host):
    """corral_run(what, args, extra=(), stdin=False) -> harness.Run. After the test every
    run is ended (if it still runs), then its tree is checked for leftovers, which fail the
    test, and removed."""
    runs = []

    def start(what, args, extra=(), stdin=False):
        r = harness.Run(host["stage"], what, args, extra, stdin, host["cgroup_base"])
        runs.append(r)
        return r

    yield start
    leaks = {r.name: left for r in runs if (left := r.finish())}
    assert not leaks, f"trees left things behind (removed now): {leaks}"


@pytest.fixture
def policy_file(host, tmp_path):
    """policy_file(text) -> path of a policy file corral can read."""

    def write(text):
        p = tmp_path / "policy.conf"
        p.write_text(text)
        return str(p)

    return write


def pytest_sessionfinish(session, exitstatus):
    if _not_run and exitstatus == 0:
        print(f"\n*** PRIVILEGED TESTS NOT RUN: {_not_run[0]}", file=sys.stderr)
        session.exitstatus = 77


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """`async def` tests run under trio.run (no plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    import trio

    args = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
    trio.run(functools.partial(pyfuncitem.obj, **args))
    return True
