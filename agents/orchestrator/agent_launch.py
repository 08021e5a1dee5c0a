"""Turning a team's role into an agent process: its command, its environment and its secrets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agents.backends.spec import AgentSpec
from agents.secrets.keyring_store import SecretNotFoundError, SecretsError, SecretStore
from agents.team import Backend, RoleConfig, expand


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
    env = config.expanded_env()
    granted = granted_secrets(role, config, secrets)
    env.update(granted)
    names = frozenset(granted)
    if config.backend is Backend.DEMO:
        assert config.playbook is not None
        args: tuple[str, ...] = ("-m", "agents.demo", "--playbook", expand(config.playbook))
        args += ("--speed", f"{config.speed:g}", *(expand(a) for a in config.args))
        here = str(Path(sys.executable).parent)
        env.setdefault("PATH", os.pathsep.join([here, os.environ.get("PATH", "")]))
        return AgentSpec(
            command=sys.executable,
            args=args,
            env=env,
            mode=config.mode,
            auth_method=config.auth_method,
            secret_vars=names,
            login_hint=config.login_hint,
        )
    if config.backend is Backend.ACP:
        assert config.command is not None
        acp_args = tuple(expand(a) for a in config.args)
        return AgentSpec(
            command=expand(config.command),
            args=acp_args,
            env=env,
            mode=config.mode,
            auth_method=config.auth_method,
            secret_vars=names,
            login_hint=config.login_hint,
        )
    raise ValueError(f"role {role} is played by {config.backend}, not by an agent process")
