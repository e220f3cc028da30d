"""How fast heaptui captures from a live process, and what the capture costs the target (run on purpose).

    python tests/bench/capture_bench.py [--sizes 150,500] [--repeat 1] [--keep]

For each size, node processes build the same service-like heap of about that many MB of snapshot,
with the inspector on a loopback port, and each measurement gets a fresh one (its first snapshot, as
in production):
  - in-process: the target writes its own snapshot with v8.writeHeapSnapshot() (the floor);
  - heaptui: `heaptui capture --port P` over the inspector, streamed to disk.
For each it prints the wall time and the target's peak RSS growth (VmHWM after the capture minus
VmRSS before; the peak is reset through /proc/PID/clear_refs first), then heaptui's ratios.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

TARGET = r"""
const v8 = require('v8');
const units = Number(process.argv[2]);
class User { constructor(i) { this.id = i; this.name = 'user ' + i; this.tags = ['a' + i, 'b' + (i % 97)];
  this.profile = { age: i % 90, city: 'city ' + (i % 1000), score: i * 1.5 }; } }
class Order { constructor(u, i) { this.user = u; this.lines = [{ sku: 'sku' + i, n: i % 7 }]; this.total = i; } }
const users = [], orders = new Map();
for (let i = 0; i < units; i++) {
  const u = new User(i);
  users.push(u);
  for (let k = 0; k < 4; k++) orders.set('o' + i + '-' + k, new Order(u, k));
}
globalThis.keep = { users, orders };
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const path = buf.slice(0, nl); buf = buf.slice(nl + 1);
    const t0 = process.hrtime.bigint();
    v8.writeHeapSnapshot(path);
    process.stdout.write('done ' + Number(process.hrtime.bigint() - t0) / 1e6 + '\n');
  }
});
process.stdout.write('ready\n');
"""


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def measure(pid, action):
    """(seconds, peak RSS growth in bytes) of action() on process pid."""
    time.sleep(1.0)  # let the heap settle after the previous run
    before = status(pid, "VmRSS")
    reset_peak(pid)
    t0 = time.perf_counter()
    action()
    seconds = time.perf_counter() - t0
    return seconds, status(pid, "VmHWM") - before


class Target:
    """One node process holding a service-like heap, its inspector on a loopback port."""

    def __init__(self, units, workdir):
        script = os.path.join(workdir, "capture-target.js")
        with open(script, "w") as f:
            f.write(TARGET)
        self.proc = subprocess.Popen(["node", "--max-old-space-size=16000", "--inspect=127.0.0.1:0", script,
                                      str(units)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.port = None
        while self.port is None:
            line = self.proc.stderr.readline()
            if not line:
                raise SystemExit("the target exited: " + self.proc.stderr.read())
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            self.port = int(m.group(1)) if m else None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the target did not start")

    def write_own(self, path):
        self.proc.stdin.write(path + "\n")
        self.proc.stdin.flush()
        if not self.proc.stdout.readline().startswith("done"):
            raise SystemExit("the target failed to write its snapshot")

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def run_size(size_mb, repeat, workdir, python):
    """Each measurement on a fresh target, as in production: a process's first snapshot costs it far
    more memory than later ones (V8 and malloc keep what the first one grew), so measuring both tools on
    one process would favour whichever went second."""
    units = int(size_mb * 1e6 / 2480)  # about 2.5 kB of snapshot per unit (measured)
    rows = []
    for i in range(repeat):
        own = os.path.join(workdir, f"own-{size_mb}-{i}.heapsnapshot")
        ours = os.path.join(workdir, f"heaptui-{size_mb}-{i}.heapsnapshot")
        result = {}
        for tool in (("own", "heaptui") if i % 2 == 0 else ("heaptui", "own")):
            target = Target(units, workdir)
            try:
                if "used" not in result:
                    from heaptui import inspector
                    with inspector.connect(port=target.port) as session:
                        result["used"] = session.call("Runtime.getHeapUsage")["usedSize"]
                    time.sleep(1.0)
                if tool == "own":
                    result[tool] = measure(target.proc.pid, lambda: target.write_own(own))
                else:
                    def capture():
                        done = subprocess.run([python, "-m", "heaptui", "capture", "--port", str(target.port),
                                               "-o", ours, "--force"], capture_output=True, text=True)
                        if done.returncode != 0:
                            raise SystemExit("heaptui capture failed: " + done.stderr)
                    result[tool] = measure(target.proc.pid, capture)
            finally:
                target.kill()
        mb = os.path.getsize(ours) / 1e6
        rows.append((mb, result["used"], result["own"][0], result["heaptui"][0], result["own"][1],
                     result["heaptui"][1]))
        for p in (own, ours):
            os.unlink(p)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="150,500", help="snapshot sizes in MB (default 150,500)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", default=None, help="where the snapshots go (default: a temporary directory)")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="heaptui-capture-bench-")
    os.makedirs(workdir, exist_ok=True)
    print(f"{'snapshot':>10} {'heap used':>10} {'in-process':>11} {'heaptui':>9} {'time':>6} {'RSS +own':>9} "
          f"{'RSS +ours':>10} {'RSS':>6}")
    for size in (float(s) for s in args.sizes.split(",")):
        for mb, used, t_own, t_ours, rss_own, rss_ours in run_size(size, args.repeat, workdir, args.python):
            print(f"{mb:8.0f}MB {used / 1e6:8.0f}MB {t_own:10.1f}s {t_ours:8.1f}s {t_ours / t_own:5.2f}x "
                  f"{rss_own / 2**20:7.0f}MB {rss_ours / 2**20:8.0f}MB {rss_ours / max(rss_own, 1):5.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
