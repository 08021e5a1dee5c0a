"""One prompt turn of the demo agent: play a list of playbook steps against the ACP client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any, assert_never

from acp import (
    Client,
    RequestError,
    plan_entry,
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    tool_terminal_ref,
    update_agent_message_text,
    update_agent_thought_text,
    update_plan,
    update_tool_call,
)
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    Cost,
    PermissionOption,
    StopReason,
    ToolCallLocation,
    ToolCallUpdate,
    UsageUpdate,
)

from agents.demo.playbook import (
    AskStep,
    FailStep,
    MessageStep,
    OnError,
    PauseStep,
    PlanStep,
    ReadStep,
    RunStep,
    Step,
    ThoughtStep,
    UsageStep,
    WriteStep,
)
from agents.demo.session import DemoSession
from agents.demo.terminal import error_text, run_in_terminal

log = logging.getLogger("agents.demo")

_OUTPUT_TAIL = 4000
"""How many trailing characters of a command's output go into its tool call update."""


def _chunks(text: str, size: int | None) -> list[str]:
    if size is None:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def _written_text(step: WriteStep, old_text: str | None) -> tuple[str, str | None]:
    """The text a write step would write, and why it cannot (``None`` when it can)."""
    if step.replace is None:
        return step.content or "", None
    if old_text is None:
        return "", f"'replace' needs an earlier read of {step.path}"
    if step.replace.old not in old_text:
        return old_text, f"{step.path} does not contain {step.replace.old!r}"
    return old_text.replace(step.replace.old, step.replace.new, 1), None


class Turn:
    """Plays one prompt's steps in order; ``play`` returns the ACP stop reason."""

    def __init__(
        self,
        client: Client,
        session: DemoSession,
        capabilities: ClientCapabilities,
        *,
        speed: float,
    ) -> None:
        self._client = client
        self._session = session
        self._caps = capabilities
        self._speed = speed

    async def play(self, steps: list[Step]) -> StopReason:
        """Run ``steps``, stopping between them once ``session/cancel`` has arrived."""
        for step in steps:
            if self._session.cancelled.is_set():
                return "cancelled"
            go_on = await self._run(step)
            if self._session.cancelled.is_set():
                return "cancelled"
            if not go_on:
                return "end_turn"
        return "end_turn"

    async def _run(self, step: Step) -> bool:
        if isinstance(step, PlanStep):
            entries = [
                plan_entry(e.content, priority=e.priority, status=e.status) for e in step.entries
            ]
            await self._send(update_plan(entries))
            return True
        if isinstance(step, MessageStep):
            for piece in _chunks(step.text, step.chunk):
                await self._send(update_agent_message_text(piece))
            return True
        if isinstance(step, ThoughtStep):
            for piece in _chunks(step.text, step.chunk):
                await self._send(update_agent_thought_text(piece))
            return True
        if isinstance(step, ReadStep):
            return await self._read(step)
        if isinstance(step, WriteStep):
            return await self._write(step)
        if isinstance(step, RunStep):
            return await self._run_command(step)
        if isinstance(step, AskStep):
            return await self._ask(step)
        if isinstance(step, PauseStep):
            await self._pause(step.seconds * self._speed)
            return True
        if isinstance(step, UsageStep):
            await self._usage(step)
            return True
        if isinstance(step, FailStep):
            log.info("failing the turn as the playbook says: %s", step.message)
            raise RequestError(-32603, step.message)
        assert_never(step)

    async def _usage(self, step: UsageStep) -> None:
        costs = self._session.costs
        total = costs[step.currency] = costs.get(step.currency, 0.0) + step.add_cost
        cost = Cost(amount=round(total, 6), currency=step.currency) if total > 0 else None
        await self._send(
            UsageUpdate(session_update="usage_update", used=step.used, size=step.size, cost=cost)
        )

    # --- plumbing -------------------------------------------------------------------------

    async def _send(self, update: Any) -> None:
        await self._client.session_update(session_id=self._session.session_id, update=update)

    def _new_tool_id(self) -> str:
        return f"tc-{next(self._session.tool_ids)}"

    def _resolve(self, path: str) -> str:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = self._session.cwd / candidate
        # Normalised lexically: ACP paths must be absolute; symlinks are the client's business.
        return os.path.normpath(candidate)

    async def _fail(self, tool_id: str, problem: str, on_error: OnError) -> bool:
        """Mark the tool call failed; say so and end the turn when ``on_error`` is ``stop``."""
        log.info("%s failed: %s", tool_id, problem)
        await self._send(
            update_tool_call(tool_id, status="failed", content=[tool_content(text_block(problem))])
        )
        if on_error == "stop":
            await self._send(update_agent_message_text(f"Stopping: {problem}"))
            return False
        return True

    def _can_read(self) -> bool:
        return bool(self._caps.fs is not None and self._caps.fs.read_text_file)

    def _can_write(self) -> bool:
        return bool(self._caps.fs is not None and self._caps.fs.write_text_file)

    # --- tool steps -----------------------------------------------------------------------

    async def _read(self, step: ReadStep) -> bool:
        path = self._resolve(step.path)
        tool_id = self._new_tool_id()
        await self._send(
            start_tool_call(
                tool_id,
                step.title or f"Read {step.path}",
                kind="read",
                status="pending",
                locations=[ToolCallLocation(path=path)],
                raw_input={"path": path},
            )
        )
        if not self._can_read():
            return await self._fail(
                tool_id, "the client did not advertise fs.readTextFile", step.on_error
            )
        try:
            response = await self._client.read_text_file(
                session_id=self._session.session_id, path=path
            )
        except RequestError as exc:
            return await self._fail(tool_id, f"read {path}: {error_text(exc)}", step.on_error)
        self._session.reads[path] = response.content
        lines = len(response.content.splitlines())
        await self._send(
            update_tool_call(
                tool_id,
                status="completed",
                content=[tool_content(text_block(f"Read {lines} lines"))],
            )
        )
        return True

    async def _write(self, step: WriteStep) -> bool:
        path = self._resolve(step.path)
        tool_id = self._new_tool_id()
        old_text = self._session.reads.get(path)
        new_text, problem = _written_text(step, old_text)
        await self._send(
            start_tool_call(
                tool_id,
                step.title or f"Edit {step.path}",
                kind="edit",
                status="pending",
                content=[tool_diff_content(path, new_text, old_text)],
                locations=[ToolCallLocation(path=path)],
                raw_input={"path": path},
            )
        )
        if problem is not None:
            return await self._fail(tool_id, problem, step.on_error)
        if not self._can_write():
            return await self._fail(
                tool_id, "the client did not advertise fs.writeTextFile", step.on_error
            )
        try:
            await self._client.write_text_file(
                session_id=self._session.session_id, path=path, content=new_text
            )
        except RequestError as exc:
            return await self._fail(tool_id, f"write {path}: {error_text(exc)}", step.on_error)
        self._session.reads[path] = new_text
        await self._send(update_tool_call(tool_id, status="completed"))
        return True

    async def _run_command(self, step: RunStep) -> bool:
        cwd = self._resolve(step.cwd) if step.cwd else str(self._session.cwd)
        shown = " ".join([step.command, *step.args])
        tool_id = self._new_tool_id()
        await self._send(
            start_tool_call(
                tool_id,
                step.title or f"Run {shown}",
                kind="execute",
                status="pending",
                raw_input={"command": step.command, "args": step.args, "cwd": cwd},
            )
        )
        if not self._caps.terminal:
            return await self._fail(tool_id, "the client did not advertise terminal", step.on_error)

        async def started(terminal_id: str) -> None:
            content = [tool_terminal_ref(terminal_id)]
            await self._send(update_tool_call(tool_id, status="in_progress", content=content))

        try:
            result = await run_in_terminal(
                self._client,
                self._session.session_id,
                step.command,
                args=step.args,
                cwd=cwd,
                on_started=started,
            )
        except RequestError as exc:
            return await self._fail(tool_id, f"run {shown}: {error_text(exc)}", step.on_error)
        tail = result.output[-_OUTPUT_TAIL:]
        raw_output = {"exit_code": result.exit_code, "signal": result.signal, "output": tail}
        summary = f"$ {shown}\n{tail}\n[{result.ending}]"
        mismatch = step.expect_exit is not None and result.exit_code != step.expect_exit
        await self._send(
            update_tool_call(
                tool_id,
                status="failed" if mismatch else "completed",
                content=[tool_content(text_block(summary))],
                raw_output=raw_output,
            )
        )
        if mismatch and step.on_fail == "stop":
            problem = f"{shown} ended with {result.ending}, expected exit {step.expect_exit}"
            await self._send(update_agent_message_text(f"Stopping: {problem}"))
            return False
        return True

    async def _ask(self, step: AskStep) -> bool:
        tool_id = self._new_tool_id()
        about: dict[str, Any] = {}
        if step.path is not None:  # what the change is about, and the change itself if known
            path = self._resolve(step.path)
            about = {"locations": [ToolCallLocation(path=path)], "raw_input": {"path": path}}
            old = self._session.reads.get(path)
            if step.replace is not None and old is not None and step.replace.old in old:
                new = old.replace(step.replace.old, step.replace.new, 1)
                about["content"] = [tool_diff_content(path, new, old)]
        await self._send(
            start_tool_call(tool_id, step.title, kind=step.tool_kind, status="pending", **about)
        )
        response = await self._client.request_permission(
            session_id=self._session.session_id,
            tool_call=ToolCallUpdate(
                tool_call_id=tool_id,
                title=step.title,
                kind=step.tool_kind,
                status="pending",
                **about,
            ),
            options=[
                PermissionOption(option_id=o.id, name=o.name, kind=o.kind) for o in step.options
            ],
        )
        outcome = response.outcome
        if isinstance(outcome, AllowedOutcome):
            chosen = {o.id: o.kind for o in step.options}.get(outcome.option_id, "unknown")
        else:
            chosen = "cancelled"
        self._session.answers.append(chosen)
        log.info("permission %r answered: %s", step.title, chosen)
        allowed = chosen in ("allow_once", "allow_always")
        await self._send(
            update_tool_call(
                tool_id, status="completed" if allowed else "failed", raw_output={"outcome": chosen}
            )
        )
        if chosen == "cancelled":
            # A cancelled outcome only comes with a cancelled turn.
            self._session.cancelled.set()
            return False
        if not allowed and step.on_reject == "stop":
            await self._send(update_agent_message_text(f"Stopping: permission {chosen}"))
            return False
        return True

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._session.cancelled.wait(), timeout=seconds)
