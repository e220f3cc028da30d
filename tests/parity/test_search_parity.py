"""`heaptui search` against DevTools' own search (the Summary's Ctrl+F), id for id, on scenario snapshots:
plain text ignoring case, case-sensitive, and regular expressions; names as DevTools shows them (cons
strings joined, plain objects as `{a, b}`)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "devtools_search.mjs"
ROOT = Path(__file__).parent.parent.parent
QUERIES = [["marker", False, False], ["Map", True, False], ["map", False, False], ["{", False, False],
           ["concat", False, False], ["^get ", False, True], ["[0-9]{3}", False, True], ["user", False, False]]


@pytest.mark.parametrize("scenario", ["strings", "classes", "collections", "shapes"])
def test_search_finds_what_devtools_finds(scenario, parity_snapshots, toolkit_dir):
    path = parity_snapshots[scenario]
    done = subprocess.run(["node", str(SCRIPT), str(path), json.dumps(QUERIES)], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert sum(len(ids) for ids in theirs) > 20  # the queries do find things
    for (text, case_sensitive, regex), expected in zip(QUERIES, theirs):
        args = ["search", str(path), text, "--json", "--top", "0"]
        args += ["--case-sensitive"] if case_sensitive else []
        args += ["--regex"] if regex else []
        r = subprocess.run([sys.executable, "-m", "heaptui", *args], capture_output=True, text=True, timeout=600,
                           cwd=ROOT)
        assert r.returncode == 0, r.stderr
        ours = [n["id"] for n in json.loads(r.stdout)]
        assert ours == expected, (text, len(ours), len(expected),
                                  sorted(set(ours) ^ set(expected))[:10])
