"""What the Python tests share with the C harness (tests/harness.c): the privileged probe,
`corral run` of a Python actor with its events read as JSON, time bounds stretched by
CORRAL_TEST_SLOWDOWN, and the leak check: a finished tree leaves no cgroup node in any
hierarchy (found from /proc/self/mountinfo and /proc/self/cgroup, never assumed) and no
registry record."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "spawner" / "client" / "python"
ACTORS = Path(__file__).resolve().parent / "actors"
# Inside an actor: Debian's python3 (the python3 first on a developer's PATH may be a pyenv
# shim in root's home, which a nobody actor cannot read), or CORRAL_TEST_ACTOR_PYTHON: an
# interpreter that user can run (tests/python/README.md: the version matrix).
PYTHON = os.environ.get("CORRAL_TEST_ACTOR_PYTHON") or "/usr/bin/python3"


def build_dir():
    b = Path(os.environ.get("BUILD") or "build")
    return b if b.is_absolute() else REPO / b


CORRAL = build_dir() / "corral"


def slow(seconds):
    """A time bound, stretched by CORRAL_TEST_SLOWDOWN (as th_ms)."""
    try:
        f = max(1.0, float(os.environ.get("CORRAL_TEST_SLOWDOWN", "1")))
    except ValueError:
        f = 1.0
    return seconds * f


def require_privileged():
    return os.environ.get("CORRAL_REQUIRE_PRIVILEGED") == "1"


def registry_dir():
    """corral's REGISTRY_DIR, read from its header (one place says it)."""
    text = (REPO / "spawner" / "registry.h").read_text()
    return Path(re.search(r'#define REGISTRY_DIR\s+"([^"]+)"', text).group(1))


# ---- cgroups, as this host has them ----


def cgroup_mounts():
    """[(kind, mount point, mount root, controllers)] of every cgroup hierarchy."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if not r or r[0] not in ("cgroup", "cgroup2"):
            continue
        opts = set(r[2].split(",")) if len(r) > 2 else set()
        out.append((r[0], f[4], f[3], opts))
    return out


def own_cgroup_dirs(v2_override=None):
    """This process's own cgroup directory in every hierarchy (v2 first)."""
    rel_v2, rel_v1 = None, {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, ctrls, path = line.split(":", 2)
        if hid == "0":
            rel_v2 = path
        else:
            for c in ctrls.split(","):
                rel_v1[c] = path
    dirs = []
    for kind, mnt, root, opts in cgroup_mounts():
        if kind == "cgroup2":
            rel = rel_v2
        else:
            rel = next((rel_v1[c] for c in opts if c in rel_v1), None)
        if rel is None or not (rel + "/").startswith(root.rstrip("/") + "/"):
            continue
        d = os.path.normpath(mnt + "/" + rel[len(root.rstrip("/")) :])
        if kind == "cgroup2" and v2_override:
            d = v2_override
        dirs.append((kind, d))
    return sorted(dirs, key=lambda kd: kd[0] != "cgroup2")  # v2 first: its nodes are killed


def tree_nodes(name, v2_dir=None):
    """Every node of tree `name`: <own>/corral/<name>.<8 hex digits>, in each hierarchy."""
    pat = re.compile(re.escape(name) + r"\.[0-9a-f]{8}$")
    found = []
    for _, own in own_cgroup_dirs(v2_dir):
        base = Path(own) / "corral"
        if base.is_dir():
            found += [str(p) for p in base.iterdir() if pat.match(p.name)]
    return found


def _remove_node(path):
    kill = Path(path) / "cgroup.kill"
    if kill.exists():
        kill.write_text("1")
        end = time.monotonic() + slow(5)
        while "populated 1" in (Path(path) / "cgroup.events").read_text():
            if time.monotonic() > end:
                break
            time.sleep(0.02)
    for d, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
        try:
            os.rmdir(d)
        except OSError:
            pass


def leftovers(name, v2_dir=None):
    """What tree `name` left: nodes and its registry record (a list of paths)."""
    left = tree_nodes(name, v2_dir)
    for suffix in (".json", ".sock"):  # its record, and the admin socket beside it
        rec = registry_dir() / f"{name}{suffix}"
        if rec.exists():
            left.append(str(rec))
    return left


def clean_tree(name, v2_dir=None):
    """Leak check, then cleanup: what tree `name` left, removed (v2 nodes killed first)."""
    left = leftovers(name, v2_dir)
    for path in left:
        if path.endswith((".json", ".sock")):
            os.unlink(path)
        else:
            _remove_node(path)
    return left


# ---- corral run ----


class Run:
    """`corral run --name NAME --events json EXTRA... -- /usr/bin/python3 pyactor.py ARGS`,
    its stdout and stderr read as they come (never a full pipe)."""

    counter = 0

    def __init__(self, stage, what, args, extra=(), stdin=False, cgroup_base=None):
        Run.counter += 1
        self.name = f"py{os.getpid()}-{Run.counter}-{what}"
        self.cg = None
        if cgroup_base:  # pure cgroup v2: corral alone in a cgroup of its own
            self.cg = Path(cgroup_base) / f"pytest-{os.getpid()}-{Run.counter}"
            self.cg.mkdir()
        cmd = [str(CORRAL), "run", "--name", self.name, "--events", "json", *extra, "--"]
        cmd += [PYTHON, str(stage / "actors" / "pyactor.py"), *args]
        # (the staged package first; a PYTHONPATH of the caller's after it, e.g. where a
        # matrix run's interpreter finds trio)
        path = os.pathsep.join(p for p in (str(stage), os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
        self.out, self.err = [], []
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",  # reachable inside every actor (a checkout under /tmp is not)
            env=env,
            preexec_fn=self._enter_cgroup if self.cg else None,
        )
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for t in self._readers:
            t.start()
        self.elapsed = None

    def _enter_cgroup(self):
        (self.cg / "cgroup.procs").write_text("0")

    @staticmethod
    def _read(pipe, into):
        for line in iter(pipe.readline, b""):
            into.append(line.decode(errors="replace").rstrip("\n"))

    def v2_dir(self):
        return str(self.cg) if self.cg else None

    def stdout(self):
        return list(self.out)

    def events(self, kind=None):
        evs = []
        for line in list(self.err):
            if line.startswith("{"):
                ev = json.loads(line)
                if kind is None or ev.get("event") == kind:
                    evs.append(ev)
        return evs

    def wait_for(self, predicate, timeout):
        """Until predicate(self) holds (True) or timeout seconds pass (False)."""
        end = time.monotonic() + slow(timeout)
        while not predicate(self):
            if time.monotonic() > end:
                return False
            if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                return predicate(self)  # (all its output is in)
            time.sleep(0.02)
        return True

    def count(self, pattern):
        return sum(1 for line in self.stdout() if re.search(pattern, line))

    def signal(self, sig=signal.SIGINT):
        self.proc.send_signal(sig)

    def write(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait(self, timeout):
        """corral's exit status (128+N for signal N), after its output was read."""
        try:
            rc = self.proc.wait(slow(timeout))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"corral did not exit within {slow(timeout)} s; events:\n" + "\n".join(self.err)
            ) from None
        self.elapsed = time.monotonic() - self.t0
        for t in self._readers:
            t.join(slow(5))
        if self.proc.stdin:
            self.proc.stdin.close()
        return rc if rc >= 0 else 128 - rc

    def stop(self):
        """Ends corral (ours: by its pid) if it still runs, as a user would: SIGINT (the
        cascade), two more (straight to its kill stage), and SIGKILL only if that did not
        end it; what a SIGKILL leaves is the leak check's to find."""
        for sig, wait in ((signal.SIGINT, 2), (signal.SIGINT, 0.1), (signal.SIGINT, 5)):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(sig)
            try:
                self.proc.wait(slow(wait))
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self):
        """SIGKILL to corral (ours, by its pid): its shims die with it, its nodes stay."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for t in self._readers:
            t.join(slow(5))

    def finish(self):
        """Cleanup: the leak check's findings (removed), and our cgroup."""
        self.stop()
        left = clean_tree(self.name, self.v2_dir())
        if self.cg:
            for d in ("corral", "supervisor", ""):
                try:
                    os.rmdir(self.cg / d if d else self.cg)
                except OSError:
                    if d == "":
                        left.append(str(self.cg))
        return left


# ---- the package where an actor can read it ----


def stage_package(dest):
    """The package and the test actors copied below `dest` (outside /tmp: an actor's /tmp is
    its own), readable by the nobody an actor runs as."""
    dest.mkdir(mode=0o755)
    shutil.copytree(PKG / "corral", dest / "corral", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ACTORS, dest / "actors", ignore=shutil.ignore_patterns("__pycache__"))
    for d, dirs, files in os.walk(dest):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    return dest


def probe(cgroup_base=None):
    """None when the privileged tests can run here, else why not."""
    if os.geteuid() != 0:
        return f"not running as root (euid {os.geteuid()})"
    if not any(kind == "cgroup2" for kind, *_ in cgroup_mounts()):
        return "no cgroup v2 hierarchy"
    if not CORRAL.exists():
        return f"{CORRAL} is not built"
    cg = Path(cgroup_base) / f"pytest-{os.getpid()}-probe" if cgroup_base else None
    if cg:
        cg.mkdir()
    try:
        r = subprocess.run(
            [str(CORRAL), "check"],
            capture_output=True,
            text=True,
            cwd="/",
            preexec_fn=(lambda: (cg / "cgroup.procs").write_text("0")) if cg else None,
        )
    finally:
        for d in (cg / "corral", cg / "supervisor", cg) if cg else ():
            if d.is_dir():
                os.rmdir(d)
    if r.returncode != 0:
        return "corral check: " + (r.stdout + r.stderr).strip().splitlines()[-1]
    return None
