"""The CLI imports only the module of the command it runs: its table must name them all."""

from __future__ import annotations

import argparse
import subprocess
import sys

from app.cli import COMMANDS, MODULES, build_parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def test_every_command_is_in_the_table_with_the_module_that_defines_it() -> None:
    assert _commands(build_parser()) == set(COMMANDS)
    assert set(COMMANDS.values()) == set(MODULES)
    for command, module in COMMANDS.items():
        assert command in _commands(build_parser([module])), (command, module)


def test_the_console_command_imports_nothing_heavy_before_it_runs() -> None:
    code = (
        "import sys\n"
        "from app import cli\n"
        "cli._parser_for(['console'])\n"
        "heavy = [m for m in ('sqlalchemy', 'acp', 'agents.orchestrator') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
