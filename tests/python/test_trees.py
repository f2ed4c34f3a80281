"""Privileged: Python actor trees on trio, through the corral package (issue 22). What a
runtime relies on is read from the host side: corral's events (every actor's end and why,
every cascade stage), the actors' own lines, the ports, and the leak check after each test
(tests/python/conftest.py). The seeds' runtime on its own trio backend, measured on this
VM: 3.3-3.6 s for the nested-error tree at depth 1 (14 actors), 14.2-14.9 s at depth 3."""

import errno
import json
import re
import socket
import time

import harness
import pytest

GRACEFUL = re.compile(r"^(exited \d+|cancelled \(.*\))$")


def assert_graceful(run):
    """Every actor that started ended by itself or in stage 1, and none was signalled."""
    started, exited = run.events("started"), run.events("exited")
    assert len(exited) == len(started), run.err
    bad = [e for e in exited if not GRACEFUL.match(e["reason"])]
    assert not bad, f"not graceful: {bad}"
    beyond = [e for e in run.events("cascade") if e.get("stage") != "cancel"]
    assert not beyond, f"a cascade went past stage 1: {beyond}"


def failed_lines(run):
    """{actor name: [(child, reason, status)]} from the `failed NAME: ...` lines."""
    out = {}
    for line in run.stdout():
        m = re.match(r"^(?:\[[^]]+\] )?failed (\S+): (.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(
                [tuple(re.match(r"(\S+)=(\S+)/(\d+)$", w).groups()) for w in m.group(2).split()]
            )
    return out


@pytest.mark.parametrize("depth,actors", [(1, 14), (2, 30)])
def test_nested_errors_reach_the_root_as_groups(corral_run, depth, actors):
    """The seeds' nested-error shape: each spawner runs two children in a nursery; every
    lowest one has a leaf that fails at once (exit 3, before HELLO). The failure cancels the
    sibling and fails the spawner, and so on up: every level reports an exception group of
    ChildFailed with the reasons it saw, the root exits 1, and every actor ended by itself
    or in corral's stage 1."""
    run = corral_run(f"nested{depth}", ["tree", str(depth)])
    assert run.wait(60) == 1, run.stdout()
    failed = failed_lines(run)
    root = failed.pop(run.name)
    # the root's group: its children's failures, each `exited 1`
    assert root and all(
        re.fullmatch(rf"s{depth}-[01]", c) and (r, s) == ("exited", "1") for c, r, s in root[0]
    ), root
    # every level below reported its group too, with the right reasons
    levels = set()
    for name, groups in failed.items():
        level = int(re.fullmatch(r"s(-?\d+)-[01]", name).group(1))
        levels.add(level)
        for group in groups:
            assert group, name
            for child, reason, status in group:
                # (a child that failed by itself while a cascade covered it, its parent's
                # subtree being cancelled, is reported `cancelled (exited N)`)
                assert reason in ("exited", "cancelled"), (name, group)
                if level == 0:  # (s0-* run `tree -1`: their children are the leaves)
                    assert (child, status) in (("leaf-0", "3"), ("leaf-1", "3")), (name, group)
                else:
                    assert re.fullmatch(rf"s{level - 1}-[01]", child), (name, group)
                    assert status == "1", (name, group)
    assert levels == set(range(depth + 1)), f"a level reported no failure: {sorted(levels)}"
    assert_graceful(run)
    refused = run.count(r"refused ")
    assert len(run.events("started")) + refused <= actors + 1
    assert harness.leftovers(run.name, run.v2_dir()) == []
    exits = [e["time"] for e in run.events("exited") if e["exit_code"] != 0]
    removed = [e["time"] for e in run.events("removed")]
    print(
        f"\nnested-error tree in Python actors, depth {depth}, {len(run.events('started'))} "
        f"actors ({refused} spawns refused while cancelling): corral run took "
        f"{run.elapsed:.2f} s; first failure to the last node removed "
        f"{max(removed) - min(exits):.2f} s (the seeds' runtime: "
        f"{'3.3-3.6 s at depth 1' if depth == 1 else '14.2-14.9 s at depth 3'})"
    )


def test_sigint_runs_every_actors_trio_cancellation(corral_run):
    """SIGINT to corral while a tree of 10 Python actors runs: corral's stage 1 (CANCEL) to
    the root, which cancels its block; each actor cancels its children and waits for them,
    and each one's finally runs (a line from each), with CANCEL heard, before corral would
    escalate."""
    run = corral_run("sigint10", ["nest", "3,2"])
    assert run.wait_for(lambda r: r.count(r"ready ") == 10, 30), run.stdout() + run.err
    t0 = time.monotonic()
    run.signal()
    assert run.wait(30) == 0, run.stdout()
    took = time.monotonic() - t0
    finals = [line for line in run.stdout() if re.match(r"^(\[\S+\] )?finally ", line)]
    assert len(finals) == 10, run.stdout()
    assert all(line.endswith("cancel=True") for line in finals), finals
    assert [e["reason"] for e in run.events("exited")] == ["cancelled (exited 0)"] * 10
    assert_graceful(run)
    # nothing escalated; and well inside the default TimeoutCancelSec (5 s)
    assert took < harness.slow(5), took
    print(f"\nSIGINT to the end of a 10-actor Python tree: {took:.2f} s")


def test_actor_ignoring_cancel_is_escalated_on_its_deadline(corral_run, policy_file):
    """A Python actor in a time.sleep loop never reads its channel: on SIGINT to corral the
    root cancels its four children; the three cooperative ones end at once, the stubborn
    one is escalated on its own profile's deadline (1 s, then SIGINT) while its siblings are
    long gone, and the root then ends in stage 1."""
    policy = policy_file(
        "[profile root]\nSpawnProfiles = coop stubborn\nTimeoutCancelSec = 10s\n\n"
        "[profile coop]\nTimeoutCancelSec = 5s\n\n"
        "[profile stubborn]\nTimeoutCancelSec = 1s\nTimeoutInterruptSec = 1s\n"
        "TimeoutTerminateSec = 1s\nTimeoutKillSec = 2s\n"
    )
    kids = [{"name": f"c{i}", "profile": "coop", "argv": ["@actor", "nest"]} for i in range(3)]
    kids.append({"name": "stub", "profile": "stubborn", "argv": ["@actor", "stubborn"]})
    spec = json.dumps({"children": kids})
    run = corral_run("stubborn", ["children", spec], ["-p", policy, "--profile", "root"])
    assert run.wait_for(
        lambda r: r.count(r"^\[c\d\] ready ") == 3 and r.count(r"^\[stub\] stubborn") == 1, 30
    ), run.stdout() + run.err
    run.signal()
    assert run.wait(30) == 0, run.stdout()
    t0 = run.events("cascade")[0]["time"]  # the tree's stage 1
    ends = {e["actor"].rsplit("/", 1)[-1]: e for e in run.events("exited")}
    stub = ends["stub"]
    for i in range(3):  # not stalled behind stub: long before its escalation
        assert ends[f"c{i}"]["reason"] == "cancelled (exited 0)"
        assert ends[f"c{i}"]["time"] < stub["time"], (ends[f"c{i}"], stub)
        assert ends[f"c{i}"]["time"] - t0 < harness.slow(0.8), ends[f"c{i}"]
    assert stub["reason"] == "interrupted (signaled SIGINT)", stub
    assert 0.9 <= stub["time"] - t0 < harness.slow(3), stub
    root = ends[run.name]
    assert root["reason"] == "cancelled (exited 0)" and root["time"] >= stub["time"]
    assert [e["stage"] for e in run.events("cascade") if e["stage"] != "cancel"] == ["interrupt"]
    assert run.count(r"^gone stub interrupted 130$") == 1, "\n".join(run.stdout())
    print(
        f"\nstubborn Python actor escalated {stub['time'] - t0:.2f} s after the cancel; its "
        f"siblings ended within {max(ends[f'c{i}']['time'] for i in range(3)) - t0:.2f} s"
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def try_bind(port, listen=False):
    """0 when the port takes a bind (closed again), else the errno."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            if listen:
                s.listen(1)
        except OSError as e:
            return e.errno
    return 0


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_listener_port_binds_at_once_after_its_parent_is_cancelled(corral_run):
    """root -> parent -> {a listener that binds its own port, one handed a listening socket
    by the parent}. The root cancels the parent (its nursery scope): the parent cancels
    both, and the moment the root hears the parent is gone both ports bind again, while
    corral and the root still run."""
    own, passed = free_port(), free_port()
    inner = {
        "children": [
            {"name": "own", "argv": ["@actor", "listen", str(own)]},
            {"name": "passed", "argv": ["@actor", "listen-fd"], "pass_listener": passed},
        ]
    }
    outer = {"children": [{"name": "parent", "argv": ["@actor", "children", json.dumps(inner)]}]}
    outer["stdin"] = True
    run = corral_run("port", ["children", json.dumps(outer)], stdin=True)
    assert run.wait_for(
        lambda r: r.count(rf"^\[own\] listening {own} own$") == 1
        and r.count(rf"^\[passed\] listening {passed} passed$") == 1,
        30,
    ), run.stdout() + run.err
    assert listening(own) and listening(passed)
    assert try_bind(own) == errno.EADDRINUSE and try_bind(passed) == errno.EADDRINUSE  # control
    run.write("cancel\n")
    assert run.wait_for(lambda r: r.count(r"^gone parent ") == 1, 30), run.stdout() + run.err
    # at once, no retry: nothing holds them
    assert try_bind(own, listen=True) == 0
    assert try_bind(passed, listen=True) == 0
    assert run.proc.poll() is None  # (the root still runs)
    assert run.count(r"^gone parent cancelled 0$") == 1, run.stdout()
    run.write("quit\n")
    assert run.wait(30) == 0, run.stdout()
    assert not listening(own) and not listening(passed)
    assert_graceful(run)


def test_leak_check_sees_what_a_killed_supervisor_left(corral_run):
    """The positive control of the leak check every test ends with: corral killed while its
    tree runs leaves its nodes and its record (for `corral gc`), and the check finds them."""
    run = corral_run("killed", ["nest", "2"])
    assert run.wait_for(lambda r: r.count(r"ready ") == 3, 30), run.stdout() + run.err
    run.kill()  # no teardown
    left = harness.leftovers(run.name, run.v2_dir())
    assert any(x.endswith(".json") for x in left) and any("/corral/" in x for x in left), left
    assert harness.clean_tree(run.name, run.v2_dir()) == left
    assert harness.leftovers(run.name, run.v2_dir()) == []
