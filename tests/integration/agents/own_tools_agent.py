"""An ACP agent with tools of its own: it acts without asking, as fast-agent's local shell does.

Run as ``python own_tools_agent.py <scenario> [path ...]``; every prompt plays the scenario and
answers with a JSON object of what happened, so a test can tell what the sandbox let through.

- ``escape SECRET OUTSIDE``: ``cat SECRET`` and ``echo … > OUTSIDE`` in its own shell.
- ``direct``: writes ``direct.txt`` in the workspace with its own hands (no ``fs/*``).
- ``via_fs``: writes ``via-fs.txt`` through the client's ``fs/write_text_file``.
- ``command``: runs ``touch made-by-command.txt`` through the client's ``terminal/create``.
- ``ask_then_direct``: ``via_fs``, then a direct write of ``sneaky.txt``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from acp import (
    PROTOCOL_VERSION,
    InitializeResponse,
    NewSessionResponse,
    PromptResponse,
    RequestError,
    run_agent,
    text_block,
    update_agent_message,
)
from acp.schema import AgentCapabilities

SCENARIO = sys.argv[1]
PATHS = sys.argv[2:]


def _shell(script: str, cwd: str) -> dict[str, Any]:
    done = subprocess.run(
        ["/bin/sh", "-c", script], cwd=cwd, capture_output=True, text=True, check=False
    )
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr.strip()}


class OwnToolsAgent:
    """Plays ``SCENARIO``; every handler accepts ``**kwargs`` for ``_meta``."""

    def on_connect(self, conn: Any) -> None:
        self._conn = conn

    async def initialize(self, protocol_version: int, **kwargs: Any) -> InitializeResponse:
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION, agent_capabilities=AgentCapabilities()
        )

    async def new_session(self, cwd: str, **kwargs: Any) -> NewSessionResponse:
        self._cwd = cwd
        return NewSessionResponse(session_id="own-1")

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        pass

    async def _via_fs(self, session_id: str, name: str) -> Any:
        try:
            await self._conn.write_text_file(
                session_id=session_id, path=f"{self._cwd}/{name}", content="through the gate\n"
            )
        except RequestError as exc:
            return {"error": str(exc)}
        return "ok"

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        cwd = self._cwd
        found: dict[str, Any] = {}
        if SCENARIO == "escape":
            secret, outside = PATHS
            found["read"] = _shell(f"cat '{secret}'", cwd)
            found["write"] = _shell(f"echo escaped > '{outside}'", cwd)
            found["inside"] = _shell("echo fine > inside.txt && cat inside.txt", cwd)
        elif SCENARIO == "direct":
            Path(cwd, "direct.txt").write_text("nobody asked\n")
        elif SCENARIO == "via_fs":
            found["fs"] = await self._via_fs(session_id, "via-fs.txt")
        elif SCENARIO == "command":
            term = await self._conn.create_terminal(
                session_id=session_id, command="touch", args=["made-by-command.txt"], cwd=cwd
            )
            await self._conn.wait_for_terminal_exit(
                session_id=session_id, terminal_id=term.terminal_id
            )
            await self._conn.release_terminal(session_id=session_id, terminal_id=term.terminal_id)
        elif SCENARIO == "ask_then_direct":
            found["fs"] = await self._via_fs(session_id, "via-fs.txt")
            Path(cwd, "sneaky.txt").write_text("nobody asked\n")
        message = update_agent_message(text_block(json.dumps(found)))
        await self._conn.session_update(session_id, message)
        return PromptResponse(stop_reason="end_turn")


if __name__ == "__main__":
    # Duck-typed like our client: the Protocol would turn missing methods into null answers.
    asyncio.run(run_agent(OwnToolsAgent()))  # type: ignore[arg-type]
