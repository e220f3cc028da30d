"""How fast `heaptui mcp` answers an agent: a summary call on a big snapshot, from the index cache.

    python tests/bench/mcp_bench.py FILE [--repeat 3]

Indexes FILE once (`heaptui summary`, which writes the index cache), then, --repeat times: starts
`heaptui mcp` through the MCP SDK's own stdio client, and times the first `summary` call (the server
opens the file from the cache) and a second one (the file already open). Prints the medians, and
the same question asked of the command line (`heaptui summary --json`, Python's start-up included).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def one_session(path):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    server = StdioServerParameters(command=sys.executable, args=["-m", "heaptui", "mcp"], env=dict(os.environ),
                                   cwd=str(ROOT))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            times = []
            for _ in range(2):
                t = time.perf_counter()
                result = await session.call_tool("summary", {"path": str(path), "top": 20})
                times.append(time.perf_counter() - t)
                assert not result.isError, result.content
            return times


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    size = os.path.getsize(args.file)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "heaptui", "summary", args.file, "--top", "1"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    print(f"{args.file}: {size / 1e6:,.0f} MB; indexed (or found in the cache) in {time.perf_counter() - t:.1f} s")
    first, again, cli = [], [], []
    for _ in range(args.repeat):
        a, b = asyncio.run(one_session(args.file))
        first.append(a)
        again.append(b)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "heaptui", "summary", args.file, "--json", "--top", "20"], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        cli.append(time.perf_counter() - t)
    med = statistics.median
    print(f"mcp summary, first call (opens from the cache): {med(first):.3f} s (runs: "
          + ", ".join(f"{x:.3f}" for x in first) + ")")
    print(f"mcp summary, next call (already open):         {med(again):.3f} s")
    print(f"heaptui summary --json (a new process):         {med(cli):.3f} s")


if __name__ == "__main__":
    main()
