"""Turning a team's role into an agent, a prompt into a turn, and a turn into a handoff."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from agents.backends.spec import AgentSpec
from agents.secrets.keyring_store import SecretNotFoundError, SecretsError, SecretStore
from agents.team import Backend, RoleConfig, expand
from sessions.schema.session import SessionContext
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session


def granted_secrets(role: str, config: RoleConfig, secrets: SecretStore | None) -> dict[str, str]:
    """The role's ``secrets`` (variable → secret name) resolved to variable → value.

    A team that names secrets needs a store that has them all: anything missing is an error
    naming the role, the variable and the secret, never an agent started without its key.
    """
    if not config.secrets:
        return {}
    if secrets is None:
        wanted = ", ".join(f"{var} (secret {name!r})" for var, name in config.secrets.items())
        raise SecretsError(f"role {role} needs secrets {wanted}, but no secret store is open")
    values: dict[str, str] = {}
    for var, name in config.secrets.items():
        try:
            values[var] = secrets.get(name)
        except SecretNotFoundError as exc:
            raise SecretNotFoundError(
                f"role {role}: {var} needs secret {name!r}, which is not in the keyring:"
                f" quarterdeck secrets set {name}"
            ) from exc
        except SecretsError as exc:
            raise SecretsError(f"role {role}: {var} needs secret {name!r}: {exc}") from exc
    return values


def agent_spec(role: str, config: RoleConfig, *, secrets: SecretStore | None = None) -> AgentSpec:
    """The process to start for an ``acp`` or ``demo`` role.

    Demo agents get Quarterdeck's own interpreter first on ``PATH`` so the sample project's
    tests can run; a real agent's ``PATH`` is the scrubbed one, without our virtualenv.
    The role's granted secrets join its ``env``, which the backend adds after scrubbing the
    parent's environment: an agent sees the secrets its role was given and no others.
    """
    env = {name: expand(value) for name, value in config.env.items()}
    granted = granted_secrets(role, config, secrets)
    env.update(granted)
    names = frozenset(granted)
    if config.backend is Backend.DEMO:
        assert config.playbook is not None
        args: tuple[str, ...] = ("-m", "agents.demo", "--playbook", expand(config.playbook))
        args += ("--speed", f"{config.speed:g}", *(expand(a) for a in config.args))
        here = str(Path(sys.executable).parent)
        env.setdefault("PATH", os.pathsep.join([here, os.environ.get("PATH", "")]))
        return AgentSpec(sys.executable, args, env, config.mode, config.auth_method, names)
    if config.backend is Backend.ACP:
        assert config.command is not None
        acp_args = tuple(expand(a) for a in config.args)
        return AgentSpec(
            expand(config.command), acp_args, env, config.mode, config.auth_method, names
        )
    raise ValueError(f"role {role} is played by {config.backend}, not by an agent process")


_ASK = {
    "researcher": "Research the task below. Reply with what matters: notes and references.",
    "planner": "Plan the task below. Publish a plan of concrete steps; state constraints.",
    "implementer": "Implement the task below in the workspace. Keep changes minimal.",
    "reviewer": "Review the change made for the task below. Say APPROVE, or REQUEST CHANGES"
    " with what must change.",
}


def prompt_for(role: str, context: SessionContext, *, attempt: int, failures: list[str]) -> str:
    """The text sent to an agent: its job, the context document, and any earlier failures."""
    lines = [_ASK.get(role, f"Act as the {role}."), "", f"Task: {context.task}"]
    for title, items in (
        ("Constraints", context.constraints),
        ("Success criteria", context.success_criteria),
        ("Plan", context.plan),
        ("References", context.references),
    ):
        if items:
            lines += ["", f"{title}:", *(f"- {item}" for item in items)]
    if attempt > 1:
        lines += ["", f"This is attempt {attempt}. What went wrong before:", *failures[-3:]]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TurnOutput:
    """What an agent said during one turn, read back from the log."""

    text: str
    plan: list[str]


async def turn_output(
    store: EventStore, session_id: str, agent_id: str, after_seq: int
) -> TurnOutput:
    """The agent's messages and latest plan since ``after_seq`` (all committed first)."""
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    chunks: list[str] = []
    plan: list[str] = []
    for record in records:
        if record.seq <= after_seq:
            continue
        if record.kind == "agent.message" and record.payload.get("agent_id") == agent_id:
            chunks.append(record.payload["text"])
        elif record.kind == "agent.plan" and record.payload.get("agent_id") == agent_id:
            plan = [entry["content"] for entry in record.payload["entries"]]
    return TurnOutput("".join(chunks), plan)


def asks_for_changes(text: str) -> bool:
    """Whether a reviewer's reply asks for changes rather than approving."""
    return "request changes" in text.lower()
