"""Sampling heap profiles as pprof: the file parses with profile.proto's messages, and its numbers are
the ones `heaptui allocations --json` gives (the total, and every function's self bytes)."""
import gzip
import json
import subprocess
import sys
from collections import Counter

from heaptui.profile.pprof import message_classes

CODE = ("const keep = [];"
        "function makeOrder(i) { return { id: i, note: 'order ' + i, lines: [i, i + 1] }; }"
        "function allocateLots() { for (let i = 0; i < 2e5; i++) keep.push(makeOrder(i)); }"
        "allocateLots();")


def heaptui(*args):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_pprof_parses_and_equals_the_bottom_up_rows(tmp_path, pprof_reader):
    subprocess.run(["node", "--heap-prof", "--heap-prof-dir", str(tmp_path), "-e", CODE], check=True, timeout=300)
    profile = next(tmp_path.glob("*.heapprofile"))
    out = tmp_path / "heap.pb.gz"
    done = heaptui("allocations", profile, "--format", "pprof", "-o", out)
    assert done.returncode == 0, done.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    message = message_classes()["Profile"]()
    message.ParseFromString(gzip.decompress(out.read_bytes()))
    strings = list(message.string_table)
    assert strings[0] == "" and [(strings[t.type], strings[t.unit]) for t in message.sample_type] == [("space", "bytes")]

    rows = json.loads(heaptui("allocations", profile, "--json").stdout)
    assert sum(s.value[0] for s in message.sample) == sum(r["self_size"] for r in rows) > 1_000_000

    functions = {f.id: f for f in message.function}
    where = {loc.id: functions[loc.line[0].function_id] for loc in message.location}
    mine = Counter()
    for sample in message.sample:  # a sample's bytes belong to its innermost frame
        f = where[sample.location_id[0]]
        mine[(strings[f.name], strings[f.filename], f.start_line)] += sample.value[0]
    theirs = Counter({(r["function"], r["url"], r["line"]): r["self_size"] for r in rows if r["self_size"]})
    assert mine == theirs
    # An independent reader (DataDog's pprof-format) decodes the same numbers.
    read = pprof_reader(out)
    assert read["sample_types"] == [["space", "bytes"]] and read["samples"] == len(message.sample)
    assert Counter({tuple(f[:3]): f[3][0] for f in read["per_function"] if f[3][0]}) == theirs
    # Stacks run innermost first: makeOrder's bytes were allocated under allocateLots.
    make = [s for s in message.sample if strings[where[s.location_id[0]].name] == "makeOrder"]
    assert make and all(strings[where[s.location_id[1]].name] == "allocateLots" for s in make)


def test_pprof_needs_an_output_file(tmp_path):
    proc = heaptui("allocations", tmp_path / "x.heapprofile", "--format", "pprof")
    assert proc.returncode == 2 and proc.stderr.startswith("heaptui: error: ") and "-o" in proc.stderr
