"""The command palette (``ctrl+p``): jump to a session or an agent, replay, reload, grants.

The standing grants live in the policy file: they are read once, on a thread, when the palette
opens — never on the loop, and not again for every key typed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from sessions.readmodel.console_model import ConsoleModel

if TYPE_CHECKING:  # agents is slow to import and loaded after the first paint (see dashboard)
    from agents.auth.grants import Grant
    from agents.supervisor.actions import Supervisor


@runtime_checkable
class PaletteHost(Protocol):
    """What a screen offers the palette (the dashboard implements it)."""

    model: ConsoleModel
    supervisor: Supervisor | None
    open_replay: Callable[[str], None]

    def show_session(self, session_id: str) -> None:
        """Select a session."""

    def show_agent(self, session_id: str, agent_id: str) -> None:
        """Select a session and filter its timeline to one agent."""

    def reload_policy(self) -> None:
        """Load the policy file again and say how it went."""

    def revoke_grant(self, rule_id: str) -> None:
        """Remove a standing grant and say so."""


class ConsoleCommands(Provider):
    """Sessions, agents, replays, the policy reload and every standing grant, as commands."""

    grants: tuple[Grant, ...] = ()
    """The standing grants, as read when the palette opened."""

    async def startup(self) -> None:
        """Read the standing grants off the loop; a file that cannot be read is said."""
        host = self.screen
        if not isinstance(host, PaletteHost) or host.supervisor is None:
            return
        try:
            self.grants = tuple(await asyncio.to_thread(host.supervisor.grants))
        except (OSError, ValueError) as exc:  # Textual would only log a failed startup
            self.app.notify(
                f"cannot read the standing grants: {exc}", severity="error", markup=False
            )

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        host = self.screen
        if not isinstance(host, PaletteHost):
            return
        for s in reversed(host.model.view.sessions):
            name = s.title or s.session_id[:8]
            sid = s.session_id
            yield (
                f"Go to session: {name}",
                partial(host.show_session, sid),
                f"{s.state} · {sid[:8]}",
            )
            yield (
                f"Replay session: {name}",
                partial(host.open_replay, sid),
                "read-only, from the log",
            )
            for a in s.agents:
                yield (
                    f"Go to agent: {a.role or a.agent_id} in {name}",
                    partial(host.show_agent, sid, a.agent_id),
                    f"{a.state} · {a.agent_id}",
                )
        if host.supervisor is not None:
            yield "Reload the policy", host.reload_policy, str(host.supervisor.policy_path)
            for g in self.grants:
                yield (
                    f"Revoke grant: {g.rule_id} ({g.decision.value} {g.role}: {g.subject})",
                    partial(host.revoke_grant, g.rule_id),
                    f"added {g.created}",
                )

    async def discover(self) -> Hits:
        """Everything, for an empty query."""
        for text, command, help_text in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose text fuzzily matches ``query``."""
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
