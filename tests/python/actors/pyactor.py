"""The Python test actors: the C ones of tests/actors/tree.c, written as a trio runtime would
write them with the corral package. Run as ``/usr/bin/python3 pyactor.py MODE ARGS...``;
what an actor prints reaches the test as corral's stdout (the root's own, a child's as
``[name]`` records).

  tree LEVEL        a cooperative spawner (tree.c's ``tree LEVEL coop``): a nursery of two
                    children, spawners ``tree LEVEL-1`` while LEVEL >= 0, else the leaves
                    ``leaf now`` and ``leaf later``; a child's failure cancels its sibling,
                    CANCEL cancels both, and a failure ends it with exit 1 after one line
                    ``failed NAME: CHILD=REASON/STATUS ...`` (its exception group's children);
                    ``refused NAME`` for each spawn corral refused (ECANCELED)
  leaf now|later    exit 3 at once, without a word to corral; or (the synchronous API) say
                    HELLO, wait 0.2 s and exit 3, or exit 0 at once on CANCEL
  nest F1,F2,...    a tree held open until cancelled: F1 children ``nest F2,...``, each
                    named after its parent; prints ``ready NAME`` once its children said
                    HELLO (a leaf: once it did), then waits; ``finally NAME cancel=BOOL``
                    from its finally (whether CANCEL came)
  stubborn          the synchronous API: HELLO, ``stubborn``, then a time.sleep loop that
                    never reads the channel (CANCEL goes unheard), 60 s at most
  listen PORT       binds 127.0.0.1:PORT, listens, ``listening PORT``; waits for CANCEL
  listen-fd         the same with the listening socket it was given (LISTEN_FDS, "http")
  children JSON     children from a spec: {"children": [{"name", "argv", "profile"?,
                    "pass_listener"?: PORT}], "stdin": bool}; each run under one nursery
                    (ch.run); with "pass_listener" the parent binds and listens on the port
                    and passes the socket (its own copy closed once passed). With "stdin", a
                    line "cancel" on stdin cancels the children (then ``gone NAME REASON
                    STATUS`` for each) and "quit" or EOF ends it
Every actor ends within 60 s whatever happens (trio.move_on_after / time bounds).
"""

import json
import os
import socket
import sys
import time

import corral

ACTOR = [sys.executable, os.path.abspath(__file__)]
ME = os.environ.get("CORRAL_ACTOR_NAME", "?")
BOUND = 60


def say(*words):
    """One line in one write(2): a root actor shares its stdout with corral's records of its
    children, and print() under PYTHONUNBUFFERED writes word by word."""
    os.write(1, (" ".join(str(w) for w in words) + "\n").encode())


def leaves_of(group):
    """The leaf exceptions of an exception group (trio's MultiError in 0.22 is one too)."""
    if isinstance(group, BaseExceptionGroup):
        for e in group.exceptions:
            yield from leaves_of(e)
    else:
        yield group


def describe(e):
    if isinstance(e, corral.ChildFailed):
        return f"{e.child.name}={e.reason}/{e.status}"
    return f"{type(e).__name__}:{e}".replace(" ", "_")


# ---- trio modes ----


async def tree(level):
    import trio

    import corral.trio

    if level >= 0:
        kids = [(f"s{level}-{i}", ACTOR + ["tree", str(level - 1)]) for i in range(2)]
    else:
        kids = [("leaf-0", ACTOR + ["leaf", "now"]), ("leaf-1", ACTOR + ["leaf", "later"])]
    ch = None
    failed = []
    try:
        with trio.move_on_after(BOUND):
            async with corral.trio.open_channel() as ch:
                async with trio.open_nursery(strict_exception_groups=True) as nursery:
                    for name, argv in kids:
                        nursery.start_soon(ch.run, name, argv)
    except* Exception as group:  # (trio.Cancelled is no Exception: it goes on to its scope)
        failed = [describe(e) for e in leaves_of(group)]
    finally:
        for e in ch.refused if ch else ():
            say("refused", e.name)
    if failed:
        say(f"failed {ME}:", *failed)
        return 1
    return 0


def leaf(how):
    if how == "now":
        return 3
    ch = corral.open()
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        ev = ch.next_event(max(0.0, end - time.monotonic()))
        if isinstance(ev, corral.Cancel):
            return 0  # a cancelled task stops cleanly
    ch.close()
    return 3


async def nest(spec):
    import trio

    import corral.trio

    fanout = [int(x) for x in spec.split(",") if x]
    rest = ",".join(str(x) for x in fanout[1:])
    ch = None
    try:
        with trio.move_on_after(BOUND):
            async with corral.trio.open_channel() as ch:
                async with trio.open_nursery(strict_exception_groups=True) as nursery:
                    kids = []
                    for i in range(fanout[0] if fanout else 0):
                        name = f"{ME}-{i}" if ch.actor_id != 1 else f"n{i}"
                        kids.append(await nursery.start(ch.run, name, ACTOR + ["nest", rest]))
                    for k in kids:
                        await k.wait_ready()
                    say("ready", ME)
                    await trio.sleep_forever()
    finally:
        say("finally", ME, f"cancel={ch is not None and ch.cancel is not None}")
    return 0


async def listen(port, passed):
    import trio

    import corral.trio

    if passed:
        fds = dict(corral.listen_fds())
        sock = socket.socket(fileno=fds["http"])
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", port))
        sock.listen(8)
    try:
        with trio.move_on_after(BOUND):
            async with corral.trio.open_channel():
                say("listening", sock.getsockname()[1], "passed" if passed else "own")
                await trio.sleep_forever()
    finally:
        sock.close()
        say("finally", ME)
    return 0


async def children(spec):
    import trio

    import corral.trio

    spec = json.loads(spec)
    failed = []
    with trio.move_on_after(BOUND):
        async with corral.trio.open_channel() as ch:
            async with trio.open_nursery(strict_exception_groups=True) as outer:
                kids_scope = trio.CancelScope()
                kids = []

                async def run_kids():
                    try:
                        with kids_scope:
                            async with trio.open_nursery(strict_exception_groups=True) as n:
                                for k in spec["children"]:
                                    kids.append(await n.start(run_one, ch, k))
                    except* Exception as group:
                        failed.extend(describe(e) for e in leaves_of(group))
                    finally:
                        for k in kids:
                            say("gone", k.name, k.reason, k.exited.status if k.exited else "?")

                outer.start_soon(run_kids)
                if spec.get("stdin"):
                    stdin = trio.lowlevel.FdStream(os.dup(0))
                    buf = b""
                    while True:
                        data = await stdin.receive_some(4096)
                        buf += data
                        if b"cancel\n" in buf:
                            buf = buf.replace(b"cancel\n", b"", 1)
                            kids_scope.cancel()
                        if b"quit\n" in buf or not data:
                            break
                    outer.cancel_scope.cancel()
    if failed:
        say(f"failed {ME}:", *failed)
        return 1
    return 0


async def run_one(ch, k, task_status):
    sock = None
    fds = None
    if k.get("pass_listener"):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", k["pass_listener"]))
        sock.listen(8)
        fds = {"http": sock}
    argv = ACTOR + k["argv"][1:] if k["argv"][:1] == ["@actor"] else k["argv"]
    try:
        child = await ch.spawn(k["name"], argv, profile=k.get("profile"), fds=fds)
    finally:
        if sock is not None:
            sock.close()  # the child holds it now
    task_status.started(child)
    try:
        await child.wait()
    except BaseException:
        await child.cancel()
        raise
    if child.failed:
        raise corral.ChildFailed(child.exited)


# ---- synchronous modes ----


def stubborn():
    corral.open()
    say("stubborn")
    end = time.monotonic() + BOUND
    while time.monotonic() < end:
        time.sleep(0.1)
    return 0


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "leaf":
        return leaf(args[0])
    if mode == "stubborn":
        return stubborn()
    import trio

    if mode == "tree":
        return trio.run(tree, int(args[0]))
    if mode == "nest":
        return trio.run(nest, args[0] if args else "")
    if mode == "listen":
        return trio.run(listen, int(args[0]), False)
    if mode == "listen-fd":
        return trio.run(listen, 0, True)
    if mode == "children":
        return trio.run(children, args[0])
    say("unknown mode", mode)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
