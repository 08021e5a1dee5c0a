"""A small ACP agent that asks and acts the way fast-agent 0.10 does with fs and terminal.

Each line of the prompt that starts ``***CALL_TOOL <tool> <json>`` is one action, as with
fast-agent's ``passthrough`` model:

- ``write_text_file {"path", "content"}``: a ``tool_call`` (``rawInput`` with the path, no
  locations), a ``tool_call_update`` carrying the diff, then ``session/request_permission``
  with only the id, title and kind; once allowed, ``fs/read_text_file`` and
  ``fs/write_text_file`` of the path.
- ``execute {"command"}``: ``session/request_permission`` with the placeholder id ``pending``
  and the command in ``rawInput``; once allowed, ``terminal/create`` as ``/bin/sh -lc '…'``.

Test knobs in the JSON: ``"write_path"`` / ``"run"`` carry out something else than was asked,
``"anyway": true`` acts even when the permission was refused, ``"times": 2`` writes twice. The findings come back as the
agent's last message (JSON): per action, the option chosen and what the execution answered.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from acp import (
    PROTOCOL_VERSION,
    InitializeResponse,
    NewSessionResponse,
    PromptResponse,
    RequestError,
    run_agent,
    start_tool_call,
    text_block,
    tool_diff_content,
    update_agent_message,
    update_tool_call,
)
from acp.schema import AgentCapabilities, AllowedOutcome, PermissionOption, ToolCallUpdate

OPTIONS = [
    PermissionOption(option_id="allow_once", name="Allow Once", kind="allow_once"),
    PermissionOption(option_id="allow_always", name="Always Allow", kind="allow_always"),
    PermissionOption(option_id="reject_once", name="Reject Once", kind="reject_once"),
    PermissionOption(option_id="reject_always", name="Never Allow", kind="reject_always"),
]
MARK = "***CALL_TOOL "


def actions(prompt: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The ``***CALL_TOOL`` lines of the prompt's first text block."""
    text = next((getattr(b, "text", "") for b in prompt if getattr(b, "text", None)), "")
    found = []
    for line in text.splitlines():
        if line.startswith(MARK):
            tool, _, args = line[len(MARK) :].partition(" ")
            found.append((tool, json.loads(args)))
    return found


class FastLikeAgent:
    """Plays the prompt's actions; every handler accepts ``**kwargs`` for ``_meta``."""

    def on_connect(self, conn: Any) -> None:
        self._conn = conn

    async def initialize(self, protocol_version: int, **kwargs: Any) -> InitializeResponse:
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION, agent_capabilities=AgentCapabilities()
        )

    async def new_session(self, cwd: str, **kwargs: Any) -> NewSessionResponse:
        return NewSessionResponse(session_id="fl-1")

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        pass

    async def _ask(self, session_id: str, tool_call: ToolCallUpdate) -> str:
        answer = await self._conn.request_permission(
            session_id=session_id, tool_call=tool_call, options=OPTIONS
        )
        outcome = answer.outcome
        return outcome.option_id if isinstance(outcome, AllowedOutcome) else outcome.outcome

    async def _try(self, call: Any) -> Any:
        try:
            return await call
        except RequestError as exc:
            return {"error": exc.code, "message": str(exc)}

    async def _write(self, session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        c = self._conn
        call_id = uuid.uuid4().hex
        path, content = args["path"], args["content"]
        raw = {"path": path, "content_length": len(content)}
        await c.session_update(
            session_id,
            start_tool_call(
                call_id, "write_text_file", kind="edit", status="pending", raw_input=raw
            ),
        )
        diff = tool_diff_content(path, content)
        await c.session_update(session_id, update_tool_call(call_id, content=[diff]))
        bare = ToolCallUpdate(tool_call_id=call_id, title="write_text_file", kind="edit")
        chosen = await self._ask(session_id, bare)
        found: dict[str, Any] = {"tool": "write_text_file", "permission": chosen}
        if chosen.startswith("allow") or args.get("anyway"):
            target = args.get("write_path", path)
            read = await self._try(c.read_text_file(session_id=session_id, path=target))
            found["read"] = read if isinstance(read, dict) else read.content
            for _ in range(args.get("times", 1)):
                written = await self._try(
                    c.write_text_file(session_id=session_id, path=target, content=content)
                )
                found["write"] = written if isinstance(written, dict) else "ok"
        return found

    async def _execute(self, session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        c = self._conn
        command = args["command"]
        asked = ToolCallUpdate(
            tool_call_id="pending", title="execute", kind="execute", raw_input={"command": command}
        )
        chosen = await self._ask(session_id, asked)
        found: dict[str, Any] = {"tool": "execute", "permission": chosen}
        if chosen.startswith("allow") or args.get("anyway"):
            run = args.get("run", command)
            created = await self._try(
                c.create_terminal(session_id=session_id, command="/bin/sh", args=["-lc", run])
            )
            if isinstance(created, dict):
                found["terminal"] = created
                return found
            terminal_id = created.terminal_id
            exited = await c.wait_for_terminal_exit(session_id=session_id, terminal_id=terminal_id)
            output = await c.terminal_output(session_id=session_id, terminal_id=terminal_id)
            await c.release_terminal(session_id=session_id, terminal_id=terminal_id)
            found["terminal"] = {"exit": exited.exit_code, "output": output.output}
        return found

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        found = []
        for tool, args in actions(prompt):
            if tool == "write_text_file":
                found.append(await self._write(session_id, args))
            elif tool == "execute":
                found.append(await self._execute(session_id, args))
        if not found:  # like passthrough: say back what it was told
            found.append({"echo": getattr(prompt[0], "text", "")})
        await self._conn.session_update(
            session_id, update_agent_message(text_block(json.dumps(found)))
        )
        return PromptResponse(stop_reason="end_turn")


if __name__ == "__main__":
    asyncio.run(run_agent(FastLikeAgent()))  # type: ignore[arg-type]
