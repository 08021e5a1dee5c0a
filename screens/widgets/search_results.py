"""The results of a search: what matched, in which session and when, the matches marked."""

from __future__ import annotations

from screens.format import clip, escape
from screens.widgets.keyed_list import KeyedList
from sessions.store.search import SearchHit


class SearchResults(KeyedList[SearchHit]):
    """Best match first; ``enter`` on one opens the replay at it (the screen decides)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Results", id=id)

    def key(self, item: SearchHit) -> str:
        """A result is a record: its session and seq."""
        return f"{item.session_id}:{item.seq}"

    def prompt(self, item: SearchHit, now: float, width: int) -> str:
        """Kind, session title, where and when; then the passage, matches marked."""
        return prompt(item, width)

    @property
    def selected(self) -> SearchHit | None:
        """The highlighted result, if any."""
        if self.highlighted is None or not self.items:
            return None
        return self.items[min(self.highlighted, len(self.items) - 1)]


def prompt(hit: SearchHit, width: int) -> str:
    """Two lines of content markup, each at most ``width`` cells."""
    where = f"{hit.session_id[:8]} · seq {hit.seq} · {hit.ts[:16].replace('T', ' ')}"
    title = escape(clip(hit.title or "(untitled)", max(4, width - len(hit.kind) - len(where) - 4)))
    head = f"[$accent]{escape(hit.kind)}[/] [b]{title}[/] [$text-muted]{escape(where)}[/]"
    return f"{head}\n  {marked(hit.snippet, hit.highlights, width - 2)}"


def marked(text: str, spans: tuple[tuple[int, int], ...], width: int) -> str:
    """``text`` as markup, the ``spans`` in the match style, cut to ``width`` cells."""
    line = clip(text, width)
    shown = len(line) if not line.endswith("…") or line == text else len(line) - 1
    parts: list[str] = []
    end = 0
    for start, stop in spans:
        if start >= shown:
            break
        stop = min(stop, shown)
        parts += [escape(line[end:start]), f"[b $warning]{escape(line[start:stop])}[/]"]
        end = stop
    parts.append(escape(line[end:]))
    return "".join(parts)
