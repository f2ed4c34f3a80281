"""Parses corral's --json output for the C tests (tests/test_admin.c) with Python's own JSON
parser, so a test asserts on what a script would read, not on substrings.

  json_view.py ps HUMAN_FILE TREE
                               stdin: `corral ps --json`; HUMAN_FILE: `corral ps` read at the
                               same moment. Prints "match N" when every actor of tree TREE in
                               the JSON has its human line (tree, actor, id, parent, profile,
                               state, pid) and the human table has no other actor of TREE;
                               else what differs. (Other trees may come and go meanwhile.)
  json_view.py lines           stdin: JSON lines (`corral kill --json`). Prints one line per
                               object, "EVENT [ACTOR] [STAGE] [REASON] [exit=N]".
Exit 1 when the input does not parse.
"""
import json
import sys


def ps(human_file, tree):
    trees = json.load(sys.stdin)
    want = set()
    for t in trees:
        if t["tree"] != tree:
            continue
        for a in t["actors"]:
            state = a["state"]
            if state == "cancelling":
                state = "cancel:" + a["stage"]
            want.add((t["tree"], a["name"], str(a["id"]), str(a["parent"]), a["profile"],
                      state, str(a["pid"])))
    got = set()
    with open(human_file, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith("TREE "):
        print("no header in the human view")
        return
    for line in lines[1:]:
        w = line.split()
        if len(w) >= 7 and w[0] == tree and w[2].isdigit():
            got.add(tuple(w[:7]))
    if want == got:
        print("match %d" % len(want))
    else:
        print("json only: %s; human only: %s" % (sorted(want - got), sorted(got - want)))


def lines():
    for line in sys.stdin:
        if not line.strip():
            continue
        o = json.loads(line)
        words = [o["event"]]
        for k in ("actor", "stage", "reason"):
            if k in o:
                words.append(str(o[k]).split(" ")[0])
        if "exit" in o:
            words.append("exit=%d" % o["exit"])
        print(" ".join(words))


if __name__ == "__main__":
    try:
        if sys.argv[1] == "ps":
            ps(sys.argv[2], sys.argv[3])
        else:
            lines()
    except (ValueError, KeyError, IndexError) as e:
        print("does not parse: %r" % e)
        sys.exit(1)
