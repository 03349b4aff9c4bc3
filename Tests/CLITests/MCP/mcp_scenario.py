"""Drives `ashby-lua mcp` with the reference Python MCP client (PyPI mcp), for MCPTests.

    mcp_scenario.py SCENARIO PROGRAM ARGS...     (stdio: starts PROGRAM ARGS...)
    mcp_scenario.py SCENARIO http://HOST:PORT/mcp [TOKEN]   (streamable HTTP)

Runs SCENARIO (tour | elicit-accept | elicit-decline | no-elicit | progress | cancel | queue) and prints
one JSON object of what came back, for the Swift test to check.
"""
import asyncio
import json
import os
import sys
import time

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
import contextlib
import httpx2

COUNT = 'print(#ashby.call("candidate.search", { email = "mia.agent@example.org" }))'
READ = 'local jobs = ashby.list_jobs{ status = "open" }.jobs\nprint(#jobs, jobs[1].id)'
WRITE = ('ashby.create_candidate{ first_name = "Mia", last_name = "Agent", email = "mia.agent@example.org" }\n'
         'print("planned")')


def text(result):
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def dump(result):
    return {"text": text(result), "isError": bool(result.is_error), "structured": result.structured_content}


async def call(session, name, arguments, **kw):
    try:
        return dump(await session.call_tool(name, arguments, **kw))
    except Exception as error:  # a JSON-RPC error
        return {"rpcError": str(error), "code": getattr(getattr(error, "error", None), "code", None)}


async def given_up(session, code, timeout_s, wait):
    """A run_script the client stops waiting for after `wait` seconds (it then sends
    notifications/cancelled): the client's error, or False if an answer came first."""
    try:
        await session.call_tool("run_script", {"code": code, "timeout_s": timeout_s}, read_timeout_seconds=wait)
        return False
    except Exception as error:
        return str(error)


async def main():
    scenario, program, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    out = {}
    answer = {"elicit-accept": "accept", "elicit-decline": "decline"}.get(scenario)

    async def on_elicit(context, params):
        out.setdefault("elicited", []).append(params.message)
        if answer == "accept":
            return types.ElicitResult(action="accept", content={"apply": True})
        return types.ElicitResult(action="decline")

    if program.startswith("http"):
        headers = {"Authorization": "Bearer " + args[0]} if args else {}
        client = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60, read=120))
        connection = streamable_http_client(program, http_client=client)
    else:
        connection = stdio_client(StdioServerParameters(command=program, args=args, env=dict(os.environ)))
    async with connection as streams:
        read, write = streams[0], streams[1]
        kwargs = {"elicitation_callback": on_elicit} if answer else {}
        async with ClientSession(read, write, **kwargs) as session:
            init = await session.initialize()
            out["protocolVersion"] = init.protocol_version
            out["serverName"] = init.server_info.name
            if scenario == "tour":
                tools = (await session.list_tools()).tools
                out["tools"] = {t.name: t.annotations.model_dump(exclude_none=True) if t.annotations else {} for t in tools}
                out["resources"] = [str(r.uri) for r in (await session.list_resources()).resources]
                stubs = await session.read_resource("ashby://stubs/ashby.meta.lua")
                out["stubsLength"] = len(stubs.contents[0].text)
                out["describe"] = await call(session, "describe", {"name": "candidate.create"})
                out["search"] = await call(session, "search_endpoints", {"query": "candidate create"})
                out["read1"] = await call(session, "run_script", {"code": READ})
                out["read2"] = await call(session, "run_script", {"code": READ})
                out["write"] = await call(session, "run_script", {"code": WRITE})
                plan = (out["write"].get("structured") or {}).get("plan_id")
                out["countPlanned"] = await call(session, "run_script", {"code": COUNT})
                out["show"] = await call(session, "show_plan", {"plan_id": plan})
                out["apply1"] = await call(session, "apply_plan", {"plan_id": plan})
                out["countApplied"] = await call(session, "run_script", {"code": COUNT})
                out["apply2"] = await call(session, "apply_plan", {"plan_id": plan})
                out["countAgain"] = await call(session, "run_script", {"code": COUNT})
                out["foreignPlan"] = await call(session, "apply_plan", {"plan_id": "plan-0123456789ab"})
                out["audit"] = await call(session, "audit", {"limit": 5})
                started = time.monotonic()
                out["runaway"] = await call(session, "run_script", {"code": "while true do end", "timeout_s": 2})
                out["runawaySeconds"] = time.monotonic() - started
                out["after"] = await call(session, "run_script", {"code": "print(6 * 7)"})
                # Each attempt on its own: the first refusal must not hide the others.
                out["snoop"] = await call(session, "run_script", {"code": (
                    'print(pcall(function() return os.getenv("ASHBY_API_KEY") end))\n'
                    'print(pcall(function() return io.open("/proc/self/environ"):read("a") end))\n'
                    'print(pcall(function() return require("os").getenv("HOME") end))\n'
                    'print(pcall(function() return io.popen("env"):read("a") end))')})
                out["failing"] = await call(session, "run_script", {"code": 'error({ kind = "mine", message = "nope" })'})
                out["args"] = await call(session, "run_script", {
                    "code": "print(...)", "args": ["--verbose", "a", "--", "b"]})
                out["echoKey"] = await call(session, "run_script", {
                    "code": "print(arg[1])", "args": [os.environ.get("MCP_ECHO", "")]})
                out["loud"] = await call(session, "run_script", {"code": 'error(string.rep("x", 300000))'})
                out["unknownTool"] = await call(session, "no_such_tool", {})
                out["badArgs"] = await call(session, "run_script", {"code": 42})
                out["unknownArg"] = await call(session, "run_script", {"code": "print(1)", "bogus": 1})
            elif scenario.startswith("elicit"):
                out["write"] = await call(session, "run_script", {"code": WRITE})
                plan = (out["write"].get("structured") or {}).get("plan_id")
                out["apply"] = await call(session, "apply_plan", {"plan_id": plan})
            elif scenario == "echo":
                out["echoKey"] = await call(session, "run_script", {
                    "code": "print(#ashby.list_jobs().jobs > 0, arg[1])", "args": [os.environ.get("MCP_ECHO", "")]})
            elif scenario == "capped":
                out["write"] = await call(session, "run_script", {"code": WRITE})
                plan = (out["write"].get("structured") or {}).get("plan_id")
                out["apply"] = await call(session, "apply_plan", {"plan_id": plan})
                out["count"] = await call(session, "run_script", {"code": COUNT})
            elif scenario == "no-elicit":
                out["write"] = await call(session, "run_script", {"code": WRITE})
                plan = (out["write"].get("structured") or {}).get("plan_id")
                out["apply"] = await call(session, "apply_plan", {"plan_id": plan})
            elif scenario == "progress":
                heard = []

                async def on_progress(progress, total, message):
                    heard.append([progress, total, message])

                out["slow"] = await call(session, "run_script", {"code": (
                    "local t = os.clock() + 3.5\nwhile os.clock() < t do end\nprint('slow done')")},
                    progress_callback=on_progress)
                out["progress"] = heard
            elif scenario == "queue":
                # The server runs with --max-concurrent-scripts 1 and a --state of its own: its run_script
                # children are the processes with --max-requests and that state on their command lines.
                marker = "--max-request[s] .*--state " + args[args.index("--state") + 1]

                async def busy(tag):
                    return await call(session, "run_script", {"code": (
                        "local t = os.clock() + 1.5\nwhile os.clock() < t do end\nprint('%s')" % tag)})

                calls = [asyncio.create_task(busy(tag)) for tag in ("a", "b", "c")]
                most, before = 0, set()
                while not all(c.done() for c in calls):
                    now = {p for p in os.popen("pgrep -f -- '%s'" % marker).read().split() if p}
                    # Counted when seen in two samples in a row: one pass over /proc can see a child that has
                    # just ended and the next one, started after it.
                    most = max(most, len(now & before))
                    before = now
                    await asyncio.sleep(0.05)
                out["queued"] = [c.result() for c in calls]
                out["mostAtOnce"] = most
                # A call cancelled while it waits for its turn leaves the line; the next call runs.
                first = asyncio.create_task(call(session, "run_script", {"code": "while true do end", "timeout_s": 3}))
                await asyncio.sleep(0.5)
                out["waiterCancelled"] = await given_up(session, "while true do end", 60, 0.5)
                out["runaway"] = await first
                started = time.monotonic()
                out["after"] = await call(session, "run_script", {"code": "print('after')"})
                # Had the cancelled waiter run when its turn came, this call would wait out its 60 s.
                out["afterSeconds"] = time.monotonic() - started
            elif scenario == "cancel":
                started = time.monotonic()
                out["cancelled"] = await given_up(session, "while true do end", 60, 2)
                out["cancelSeconds"] = time.monotonic() - started
                await asyncio.sleep(1.5)
                # run_script's children alone run with --max-requests, and this server's with its --state: none may be left.
                marker = "--max-request[s] .*--state " + args[args.index("--state") + 1]
                out["childrenLeft"] = len([p for p in os.popen("pgrep -f -- '%s'" % marker).read().split() if p])
                out["after"] = await call(session, "run_script", {"code": "print(1)"})
    print(json.dumps(out))


asyncio.run(main())
