"""``?``: every key of the console and what it does, as the keymap has it now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Quarterdeck keys

| key | what it does |
|---|---|
{rows}

**Panes** — `tab` / `shift+tab` move between sessions, approvals and the timeline; `j` / `k`
move inside one. **Timeline** — `f` follow on/off, `g` / `G` first / last, `enter` details.
**Replay** — `space` play/pause, `→` / `←` step, `+` / `-` speed, `home` / `end`,
`h` next handoff, `a` next approval, `escape` back.
**Review** (`v`) — `j` / `k` next / previous hunk (on into the next file), `J` / `K` next /
previous file, `↑` / `↓` / `pgup` / `pgdn` scroll, `c` comment the hunk (empty deletes), `x`
delete its comment, `b` compare with the first or the last known-good checkpoint, `r` request
changes, `a` accept, `?` its keys, `escape` back (the comments are kept).
**Search** — type words, `"a phrase"` or `prefix*`, `enter`; then `j` / `k` and `enter` opens
the replay at that event (`escape` there comes back to the results); `/` edits the query.

Remap any key by its id in `config.toml` (`[keymap]`, see docs/configuration.md).
"""


class HelpScreen(ModalScreen[None]):
    """The key reference; ``escape``, ``q`` or ``?`` closes it."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = keys
        """(keys, description, binding id) of every binding, in display order."""

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"| `{k}` | {d} (`{i}`) |" for k, d, i in self.keys)
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP.format(rows=rows))

    def action_close(self) -> None:
        """Back to where help was opened."""
        self.dismiss(None)


def binding_rows(
    bindings: Iterable[BindingType], keymap: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(keys, description, id) of each binding, with the keys the keymap gives it."""
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding):  # the remapped keys, so help never lies
            key = keymap.get(binding.id, binding.key) if binding.id else binding.key
            rows.append((key, binding.description, binding.id or ""))
    return rows
