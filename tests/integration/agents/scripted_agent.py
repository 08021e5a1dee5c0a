"""A tiny ACP agent built on the SDK's agent side, playing one scenario named on its command line.

Run as ``python scripted_agent.py <scenario> [marker-file]``; the turn's findings come back as
the agent's message text so the test can check what the client answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from acp import (
    PROTOCOL_VERSION,
    InitializeResponse,
    LoadSessionResponse,
    NewSessionResponse,
    PromptResponse,
    RequestError,
    run_agent,
    start_tool_call,
    text_block,
    update_agent_message,
)
from acp.schema import (
    AgentCapabilities,
    AuthMethodAgent,
    Cost,
    PermissionOption,
    ToolCallUpdate,
    UsageUpdate,
)

SCENARIO = sys.argv[1]
MARKER = Path(sys.argv[2]) if len(sys.argv) > 2 else None


class ScriptedAgent:
    """Plays ``SCENARIO``; every handler accepts ``**kwargs`` for ``_meta``."""

    def on_connect(self, conn: Any) -> None:
        self._conn = conn

    async def initialize(self, protocol_version: int, **kwargs: Any) -> InitializeResponse:
        if SCENARIO == "crash_once" and MARKER is not None and not MARKER.exists():
            MARKER.write_text("crashed once")
            sys.stderr.write("first start fails on purpose\n")
            sys.stderr.flush()
            os._exit(7)
        version = 2 if SCENARIO == "version" else PROTOCOL_VERSION
        methods = [AuthMethodAgent(id="oauth-x", name="Log in")] if SCENARIO == "auth" else []
        return InitializeResponse(
            protocol_version=version,
            agent_capabilities=AgentCapabilities(load_session=SCENARIO == "loadable"),
            auth_methods=methods,
        )

    async def new_session(self, cwd: str, **kwargs: Any) -> NewSessionResponse:
        if SCENARIO == "auth":
            raise RequestError.auth_required({"hint": "run the agent's login"})
        self._cwd = cwd
        return NewSessionResponse(session_id="s-1")

    async def load_session(self, cwd: str, session_id: str, **kwargs: Any) -> LoadSessionResponse:
        # A loadable agent replays the history of the session it is asked for, then answers.
        self._cwd = cwd
        await self._say(session_id, f"restored {session_id}")
        await self._say(session_id, "and its second message")
        return LoadSessionResponse()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        pass

    async def _say(self, session_id: str, text: str) -> None:
        await self._conn.session_update(session_id, update_agent_message(text_block(text)))

    async def _try(self, call: Any) -> Any:
        try:
            return await call
        except RequestError as exc:
            return {"error": exc.code, "message": str(exc)}

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        found: dict[str, Any] = {}
        c = self._conn
        cwd = self._cwd
        if SCENARIO == "normal":
            read = await c.read_text_file(session_id=session_id, path=f"{cwd}/input.txt")
            found["read"] = read.content
            await c.write_text_file(session_id=session_id, path=f"{cwd}/out.txt", content="hi\n")
            term = await c.create_terminal(session_id=session_id, command="ls", args=[cwd])
            status = await c.wait_for_terminal_exit(
                session_id=session_id, terminal_id=term.terminal_id
            )
            out = await c.terminal_output(session_id=session_id, terminal_id=term.terminal_id)
            await c.release_terminal(session_id=session_id, terminal_id=term.terminal_id)
            found.update(exit=status.exit_code, ls=out.output, truncated=out.truncated)
            term = await c.create_terminal(
                session_id=session_id, command="seq", args=["1", "1000"], output_byte_limit=10
            )
            await c.wait_for_terminal_exit(session_id=session_id, terminal_id=term.terminal_id)
            out = await c.terminal_output(session_id=session_id, terminal_id=term.terminal_id)
            found.update(seq=out.output, seq_truncated=out.truncated)
            found["env"] = sorted(os.environ)
            await c.session_update(session_id, start_tool_call("tc-1", "Look", kind="read"))
            # An update kind the SDK does not know: only the raw frame can keep it.
            await c._conn.send_notification(
                "session/update",
                {"sessionId": session_id, "update": {"sessionUpdate": "mystery_update", "x": 1}},
            )
            await c.session_update(
                session_id, update_agent_message(text_block("with meta")), trace="t-9"
            )
        elif SCENARIO == "permission":
            answer = await c.request_permission(
                session_id=session_id,
                tool_call=ToolCallUpdate(
                    tool_call_id="p-1",
                    title="Edit",
                    kind="edit",
                    raw_input={"path": f"{cwd}/a.txt"},
                ),
                options=[
                    PermissionOption(option_id="zz-no", name="No", kind="reject_once"),
                    PermissionOption(option_id="go!", name="Always", kind="allow_always"),
                ],
            )
            found["outcome"] = answer.outcome.model_dump(by_alias=True)
        elif SCENARIO == "stderr":
            key = os.environ.get("GRANTED_API_KEY", "")
            sys.stderr.write("e" * (4 * 1024 * 1024) + f"\ndebug: using key {key}\nTHE-END\n")
            sys.stderr.flush()
        elif SCENARIO == "crash":
            sys.stderr.write("fatal: the model exploded\n")
            sys.stderr.flush()
            os._exit(3)
        elif SCENARIO == "badjson":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            await asyncio.Event().wait()
        elif SCENARIO == "terminal_then_hang":
            await c.create_terminal(
                session_id=session_id, command="tail", args=["-f", f"{cwd}/input.txt"]
            )
            asked = ToolCallUpdate(
                tool_call_id="h-2",
                title="Run",
                kind="execute",
                raw_input={"command": "python -c 1"},
            )
            options = [PermissionOption(option_id="y", name="Yes", kind="allow_once")]
            await c.request_permission(session_id=session_id, tool_call=asked, options=options)
            await asyncio.Event().wait()
        elif SCENARIO == "hang":
            answer = await c.request_permission(
                session_id=session_id,
                tool_call=ToolCallUpdate(
                    tool_call_id="h-1",
                    title="Run",
                    kind="execute",
                    raw_input={"command": "python -c 'print(1)'"},
                ),
                options=[PermissionOption(option_id="y", name="Yes", kind="allow_once")],
            )
            await self._say(
                session_id, json.dumps(answer.outcome.model_dump(by_alias=True, exclude_none=True))
            )
            return PromptResponse(stop_reason="cancelled")
        elif SCENARIO == "outside":
            outside = str(Path(cwd).parent / "outside.txt")
            found["write"] = await self._try(
                c.write_text_file(session_id=session_id, path=outside, content="x")
            )
            found["read"] = await self._try(
                c.read_text_file(session_id=session_id, path=str(Path(cwd).parent / "secret.txt"))
            )
            found["rm"] = await self._try(
                c.create_terminal(session_id=session_id, command="rm -rf ~")
            )
        elif SCENARIO == "turn_crash_once" and MARKER is not None and not MARKER.exists():
            MARKER.write_text("died mid-turn once")
            os._exit(5)
        elif SCENARIO == "write_then_crash":
            await c.write_text_file(session_id=session_id, path=f"{cwd}/partial.txt", content="x\n")
            os._exit(6)
        elif SCENARIO == "usage":
            # Small moves of the context (coalesced), a cost (at once), a last move (at the end).
            for used, cost in (
                (1000, None),
                (1100, None),
                (1200, None),
                (5000, 0.25),
                (5100, 0.25),
            ):
                spent = Cost(amount=cost, currency="USD") if cost is not None else None
                update = UsageUpdate(
                    session_update="usage_update", used=used, size=200_000, cost=spent
                )
                await c.session_update(session_id, update)
        elif SCENARIO in ("ok", "turn_crash_once", "loadable"):
            pass
        await self._say(session_id, json.dumps(found, default=str))
        return PromptResponse(stop_reason="end_turn")


if __name__ == "__main__":
    # Duck-typed like our client: the Protocol would turn missing methods into null answers.
    asyncio.run(run_agent(ScriptedAgent()))  # type: ignore[arg-type]
