"""A tiny ACP agent for the lifecycle's edges: logins, cancels and turns that end at once.

Run as ``python lifecycle_agent.py <scenario> <marker-file>``; what it saw is appended to the
marker file, one line each, so a test can tell what reached the agent:

- ``login_at_prompt``: starts and opens a session, then answers every prompt -32000
  "Authentication required" (as the Claude adapter does without a login);
- ``login_at_initialize``: answers ``initialize`` "not logged in" (code -32603, in words);
- ``login_at_load``: offers an API-key login and ``loadSession``, answers ``session/load``
  -32000;
- ``cancellable``: starts a terminal (``tail -f notes.txt``), asks permission and waits; on
  ``session/cancel`` it writes ``cancel``, then the permission's answer, then how its terminal
  ended, and ends the turn ``cancelled``;
- ``ignores_cancel``: asks permission and waits forever; it writes ``cancel`` on
  ``session/cancel`` and does nothing else;
- ``quick``: ends every turn at once with a message;
- ``refused``: asks permission for ``cksum notes.txt`` and ends its turn whatever the answer;
- ``loadable``: advertises ``loadSession``; a new session (``mem-1``) asks permission and waits
  (so a test can kill the run); a loaded one replays two messages of its history first, then
  ends its turn at once;
- ``talk``: writes ``heard <the prompt's text as JSON>`` for every prompt; its first turn asks
  permission and waits for the answer (so a test can act mid-turn), later turns end at once.
"""

from __future__ import annotations

import asyncio
import json
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
    text_block,
    update_agent_message,
)
from acp.schema import (
    AgentCapabilities,
    AuthEnvVar,
    EnvVarAuthMethod,
    PermissionOption,
    ToolCallUpdate,
)

SCENARIO = sys.argv[1]
MARKER = Path(sys.argv[2])


def note(line: str) -> None:
    """Append one line to the marker file (the test's view of what reached the agent)."""
    with MARKER.open("a") as marker:
        marker.write(line + "\n")


class LifecycleAgent:
    """Plays ``SCENARIO``; every handler accepts ``**kwargs`` for ``_meta``."""

    def __init__(self) -> None:
        self._cancelled = asyncio.Event()
        self._loaded = False
        self._turns = 0

    def on_connect(self, conn: Any) -> None:
        self._conn = conn

    async def initialize(self, protocol_version: int, **kwargs: Any) -> InitializeResponse:
        if SCENARIO == "login_at_initialize":
            raise RequestError(-32603, "Not logged in: run `life login` first")
        loadable = AgentCapabilities(load_session=SCENARIO in ("loadable", "login_at_load"))
        key = EnvVarAuthMethod(
            type="env_var", id="life-key", name="Life key", vars=[AuthEnvVar(name="LIFE_KEY")]
        )
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=loadable,
            auth_methods=[key] if SCENARIO == "login_at_load" else [],
        )

    async def new_session(self, cwd: str, **kwargs: Any) -> NewSessionResponse:
        self._cwd = cwd
        session_id = "mem-1" if SCENARIO == "loadable" else "life-1"
        note(f"new {session_id}")
        return NewSessionResponse(session_id=session_id)

    async def load_session(self, cwd: str, session_id: str, **kwargs: Any) -> LoadSessionResponse:
        self._cwd, self._loaded = cwd, True
        note(f"load {session_id}")
        if SCENARIO == "login_at_load":
            raise RequestError.auth_required()
        for text in ("earlier: I read the notes", "earlier: I asked to fingerprint them"):
            await self._conn.session_update(session_id, update_agent_message(text_block(text)))
        return LoadSessionResponse()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        note("cancel")
        self._cancelled.set()

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        note("prompt")
        if SCENARIO == "talk":
            return await self._talk(prompt, session_id)
        if SCENARIO == "login_at_prompt":
            raise RequestError.auth_required()
        if SCENARIO == "quick" or self._loaded:
            said = f"continuing {session_id}" if self._loaded else "done"
            await self._conn.session_update(session_id, update_agent_message(text_block(said)))
            return PromptResponse(stop_reason="end_turn")
        terminal = None
        if SCENARIO == "cancellable":
            terminal = await self._conn.create_terminal(
                session_id=session_id, command="tail", args=["-f", f"{self._cwd}/notes.txt"]
            )
        answer = await self._ask(session_id)
        note(f"permission {answer.outcome.outcome}")
        if SCENARIO == "refused":
            await self._conn.session_update(session_id, update_agent_message(text_block("ok")))
            return PromptResponse(stop_reason="end_turn")
        if SCENARIO == "ignores_cancel":
            await asyncio.Event().wait()
        await self._cancelled.wait()
        if terminal is not None:
            ended = await self._conn.wait_for_terminal_exit(
                session_id=session_id, terminal_id=terminal.terminal_id
            )
            note(f"terminal signal={ended.signal} exit={ended.exit_code}")
        return PromptResponse(stop_reason="cancelled")

    async def _ask(self, session_id: str) -> Any:
        call = ToolCallUpdate(
            tool_call_id="w-1",
            title="Fingerprint the notes",
            kind="execute",
            raw_input={"command": "cksum notes.txt"},  # no rule covers it: asked
        )
        return await self._conn.request_permission(
            session_id=session_id,
            tool_call=call,
            options=[PermissionOption(option_id="y", name="Yes", kind="allow_once")],
        )

    async def _talk(self, prompt: list[Any], session_id: str) -> PromptResponse:
        note("heard " + json.dumps(" ".join(getattr(block, "text", "") for block in prompt)))
        self._turns += 1
        if self._turns == 1:
            await self._ask(session_id)
        said = update_agent_message(text_block(f"turn {self._turns} done"))
        await self._conn.session_update(session_id, said)
        return PromptResponse(stop_reason="end_turn")


if __name__ == "__main__":
    # Duck-typed like our client: the Protocol would turn missing methods into null answers.
    asyncio.run(run_agent(LifecycleAgent()))  # type: ignore[arg-type]
