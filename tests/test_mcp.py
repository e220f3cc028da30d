"""`heaptui mcp`, driven through the official MCP SDK's own client over stdio, as an agent drives it.

Every snapshot tool is called and its rows compared with what `heaptui ... --json` prints for the same
file and the same question: the agent and the command line get the same objects from the service
layer. The live tools capture and sample a real node process on 127.0.0.1 (killed afterwards)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heaptui.demo import demo_paths
from heaptui.snapshot import open_snapshot
from test_idspace import NodeApp

ROOT = Path(__file__).parent.parent
SERIES = ROOT / "tests" / "parity" / "runtimes" / "series.cjs"
DETACHED = ROOT / "tests" / "fixtures" / "chromium-detached-dom.heapsnapshot.gz"
TOOLS = {"open_snapshot", "summary", "instances", "object", "retainers", "dominators", "statistics", "search",
         "duplicated_strings", "closure", "detached_elements", "realms", "diff", "hunt", "allocations",
         "list_targets", "capture", "sample", "redact", "hunt_live"}


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class Agent:
    """One `heaptui mcp` process and an SDK ClientSession to it."""

    def __init__(self, session):
        self.session = session

    async def call(self, tool, **arguments):
        result = await self.session.call_tool(tool, arguments)
        assert not result.isError, (tool, result.content)
        assert result.structuredContent is not None, (tool, "no structured answer")
        return result.structuredContent

    async def error(self, tool, **arguments):
        result = await self.session.call_tool(tool, arguments)
        assert result.isError, (tool, result.structuredContent)
        return " ".join(c.text for c in result.content if getattr(c, "text", None))


def _server():
    from mcp import StdioServerParameters
    return StdioServerParameters(command=sys.executable, args=["-m", "heaptui", "mcp"], env=dict(os.environ),
                                 cwd=str(ROOT))


async def _with_agent(body):
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client
    async with stdio_client(_server()) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await body(Agent(session))


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Three snapshots of one node process (a, b, c), an array of Items growing between them."""
    out = tmp_path_factory.mktemp("series")
    subprocess.run(["node", str(SERIES), str(out)], check=True, timeout=300, capture_output=True)
    return [out / f"{n}.heapsnapshot" for n in "abc"]


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """A sampling heap profile written by node itself (--heap-prof)."""
    out = tmp_path_factory.mktemp("profile")
    code = "const keep = []; function allocateLots() { for (let i = 0; i < 2e5; i++) keep.push({ i, s: 'x' + i }); }" \
           " allocateLots();"
    subprocess.run(["node", "--heap-prof", "--heap-prof-dir", str(out), "-e", code], check=True, timeout=300)
    return next(out.glob("*.heapprofile"))


async def test_every_snapshot_tool_answers_as_the_command_line_does(series, profile):
    base, current = demo_paths()

    async def body(agent):
        listed = {t.name: t for t in (await agent.session.list_tools()).tools}
        assert set(listed) == TOOLS
        assert all(t.description and t.inputSchema.get("type") == "object" for t in listed.values())

        info = await agent.call("open_snapshot", path=current)
        assert info["nodes"] == open_snapshot(current).node_count > 1000
        assert info["statistics"] == cli("stats", current, "--json")

        page = await agent.call("summary", path=current)
        assert page["rows"] == cli("summary", current, "--json", "--top", "20")
        assert page["returned"] == 20 and page["more"] == page["rows_total"] - 20
        second = await agent.call("summary", path=current, top=5, offset=5, sort="shallow")
        assert second["rows"] == cli("summary", current, "--json", "--top", "10", "--sort", "shallow")[5:]
        filtered = await agent.call("summary", path=current, filter="duplicated-strings", top=500)
        assert filtered["rows"] == cli("summary", current, "--json", "--filter", "duplicated-strings")

        cls = page["rows"][3]["name"]
        objs = await agent.call("instances", path=current, class_name=cls, top=5)
        assert objs["rows"] == cli("instances", current, cls, "--json", "--top", "5")
        oid = objs["rows"][0]["id"]
        detail = await agent.call("object", path=current, id=f"@{oid}", retainers=5)
        assert detail == cli("object", current, f"@{oid}", "--json", "--limit", "5")
        rets = await agent.call("retainers", path=current, id=str(oid), top=3)
        assert rets["retainers"] == detail["retainers"][:3]
        assert await agent.call("dominators", path=current, depth=2, top=4) == \
            cli("dominators", current, "--json", "--depth", "2", "--top", "4")
        assert await agent.call("statistics", path=current) == cli("stats", current, "--json")
        found = await agent.call("search", path=current, query="session", top=7)
        assert found["rows"] == cli("search", current, "session", "--json", "--top", "7")
        assert found["rows_total"] > 7
        dups = await agent.call("duplicated_strings", path=current, top=5)
        assert dups["rows"] == cli("strings", current, "--json", "--top", "5")
        assert (await agent.call("realms", path=current))["rows"] == cli("contexts", current, "--json")
        fn = next(r for r in cli("search", current, "remember", "--json", "--case-sensitive")
                  if r["type"] == "closure")
        assert await agent.call("closure", path=current, id=f"@{fn['id']}") == \
            cli("closure", current, f"@{fn['id']}", "--json")
        diff = await agent.call("diff", base=base, current=current, top=10)
        assert diff["rows"] == cli("diff", base, current, "--json", "--top", "10")

        hunt = await agent.call("hunt", paths=[str(p) for p in series])
        assert hunt == cli("hunt", *series, "--json")
        assert hunt["suspects"] and any(c["name"] == "Item" for c in hunt["suspects"][0]["classes"])
        assert (await agent.call("detached_elements", path=str(DETACHED)))["rows"] == \
            cli("detached", DETACHED, "--json")
        shared = series[0].parent / "shared.heapsnapshot"
        redacted = await agent.call("redact", path=str(series[0]), output=str(shared))
        again = cli("redact", series[0], series[0].parent / "shared-cli.heapsnapshot", "--json")
        for key in ("strings", "values_redacted", "names_replaced", "strings_kept", "bytes_in", "bytes_out"):
            assert redacted[key] == again[key], key
        assert redacted["output"] == str(shared) and redacted["values_redacted"] > 1000
        assert shared.read_bytes() == (series[0].parent / "shared-cli.heapsnapshot").read_bytes()
        assert "already exists" in await agent.error("redact", path=str(series[0]), output=str(shared))
        allocs = await agent.call("allocations", profile=str(profile), top=5)
        assert allocs["rows"] == cli("allocations", profile, "--json", "--top", "5")
        assert allocs["rows"][0]["function"] == "allocateLots"

        # Requests heaptui cannot answer: one line, the server stays up.
        assert "no object with id @1234567" in await agent.error("object", path=current, id="@1234567")
        assert "no such file" in (await agent.error("summary", path="/nonexistent.heapsnapshot")).lower()
        assert "no class named" in await agent.error("instances", path=current, class_name="NoSuchClass")
        assert "different inspector sessions" in await agent.error(
            "diff", base=str(series[0]), current=current)
        assert (await agent.call("statistics", path=current))["total"] == info["statistics"]["total"]

    await _with_agent(body)


async def test_live_tools_list_capture_and_sample_a_node_process(tmp_path):
    app = NodeApp(tmp_path, "app")
    try:
        async def body(agent):
            found = await agent.call("list_targets")
            assert app.proc.pid in [p["pid"] for p in found["processes"]]
            out = tmp_path / "live.heapsnapshot"
            done = await agent.call("capture", port=app.port, output=str(out))
            assert done["file"] == str(out) and done["size"] == out.stat().st_size > 100_000
            assert oct(out.stat().st_mode & 0o777) == "0o600"
            rows = (await agent.call("summary", path=str(out), top=500))["rows"]
            assert any(r["name"] == "Order" for r in rows)
            prof = tmp_path / "live.heapprofile"
            sampled = await agent.call("sample", port=app.port, duration=1, output=str(prof))
            assert sampled["file"] == str(prof) and prof.stat().st_size > 0
            hidden = tmp_path / "redacted.heapsnapshot"
            done = await agent.call("capture", port=app.port, output=str(hidden), redact=True)
            assert done["redaction"]["values_redacted"] > 1000
            assert b"order 39" in out.read_bytes() and b"order 39" not in hidden.read_bytes()
            assert "give pid or port" in await agent.error("capture")
            assert "duration" in await agent.error("sample", port=app.port, duration=0)
        await _with_agent(body)
    finally:
        app.stop()


async def test_hunt_live_finds_the_leak_the_command_line_finds(tmp_path):
    """The live hunt through the agent: warm-up, baseline and three rounds of a real load generator
    against a leaking service; its answer is the command line's hunt over the same snapshots."""
    from test_hunt import LOAD, Service
    svc = Service("cache", tmp_path)
    try:
        svc.wait_ready()
        load = f"node {LOAD} {svc.port}"

        async def body(agent):
            doc = await agent.call("hunt_live", port=svc.inspector, exercise=f"{load} 40", warmup=f"{load} 30",
                                   rounds=3, out_dir=str(tmp_path))
            assert len(doc["snapshots"]) == 4
            assert any(s["edge"].startswith("responseCache (variable)") for s in doc["suspects"][:3]), doc
            assert doc == cli("hunt", *doc["snapshots"], "--json")
            assert "rounds" in await agent.error("hunt_live", port=svc.inspector, exercise="true", rounds=1)
        await _with_agent(body)
    finally:
        svc.stop()
