"""``ctrl+f``: search every session's titles, messages, commands, paths and decisions.

Type a query and press ``enter``: it runs on a worker thread (the first search of an older
database indexes it first, with its progress shown); the results take the focus. ``j``/``k``
move, ``enter`` opens the replay just after that record, on top of this screen, so ``escape``
there comes back to the results; ``/`` edits the query, ``escape`` closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from screens.format import escape
from screens.widgets.search_results import SearchResults
from screens.worker_errors import ReportsFailedWorkers
from sessions.errors import QuarterdeckError
from sessions.store.search import SearchHit, SearchQuery
from sessions.store.search_index import Progress

Searcher = Callable[[SearchQuery, Callable[[Progress], None]], list[SearchHit]]
"""Runs a query (on the calling thread), telling ``progress`` how an index catch-up goes."""


class OpenReplay(Protocol):
    """Opens the replay of a session just after one of its records."""

    def __call__(self, session_id: str, at_seq: int | None = None) -> None: ...


class SearchScreen(ReportsFailedWorkers, ModalScreen[None]):
    """A query, its results, and the replay of whichever one is chosen."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close", id="search.close"),
        Binding("slash", "edit_query", "Edit query", id="search.edit"),
        Binding("down", "to_results", "Results", show=False, id="search.results"),
    ]

    def __init__(self, searcher: Searcher, open_replay: OpenReplay, *, query: str = "") -> None:
        super().__init__()
        self.searcher = searcher
        self.open_replay = open_replay
        self.query_text = query
        """The query last run (the dashboard offers it again next time)."""
        self.hits: list[SearchHit] = []
        """The results shown, best first."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog search"):
            yield Static("[b]Search everything[/]", classes="dialog-title")
            yield Input(
                self.query_text,
                placeholder='words, "a phrase", prefix* — enter searches',
                id="search-query",
            )
            yield Static("", id="search-status")
            yield SearchResults(id="search-results")
            yield Static(
                "[b]enter[/] search / open replay  [b]j[/] [b]k[/] move  [b]/[/] edit query"
                "  [b]esc[/] close",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.query_text.strip():
            self.run_query(self.query_text)

    # -- searching ----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.run_query(event.value)

    def run_query(self, text: str) -> None:
        """Search for ``text`` (a worker does it; the last query wins)."""
        self.query_text = text
        self._status("searching…")
        self._search(text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, name="searching")
    def _search(self, text: str) -> None:
        def progress(step: Progress) -> None:  # posted: the query never waits for paint
            if not step.done:
                self.post_message(self.Indexing(step))

        try:
            hits = self.searcher(SearchQuery(text=text), progress)
        except QuarterdeckError as exc:  # a query without words, an encrypted database
            self.app.call_from_thread(self._failed, text, str(exc))
            return
        self.app.call_from_thread(self._found, text, hits)

    class Indexing(Message):
        """The index is catching up with the log before the query runs."""

        def __init__(self, step: Progress) -> None:
            super().__init__()
            self.step = step

    def on_search_screen_indexing(self, message: Indexing) -> None:
        step = message.step
        percent = 100 * step.indexed_seq // max(1, step.head)
        self._status(f"indexing the log for search (once): {percent}%")

    def _found(self, text: str, hits: list[SearchHit]) -> None:
        if text != self.query_text:  # a newer query is on its way
            return
        self.hits = hits
        results = self.query_one(SearchResults)
        results.show(tuple(hits), 0.0, force=True)
        results.highlighted = 0 if hits else None
        n = len(hits)
        self._status(f"{n} result{'s' if n != 1 else ''} for {text!r}" if hits else "no results")
        if hits:
            results.focus()

    def _failed(self, text: str, error: str) -> None:
        if text == self.query_text:
            self.query_one(SearchResults).show((), 0.0, force=True)
            self._status(f"[$error]{escape(error)}[/]")

    def _status(self, markup: str) -> None:
        self.query_one("#search-status", Static).update(markup)

    # -- keys ---------------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self.query_one(SearchResults).selected
        if hit is not None:
            self.open_replay(hit.session_id, hit.seq)

    def action_to_results(self) -> None:
        """From the query down to the results."""
        if self.hits:
            self.query_one(SearchResults).focus()

    def action_edit_query(self) -> None:
        """Back to the query."""
        self.query_one(Input).focus()

    def action_close(self) -> None:
        """Back to where search was opened."""
        self.dismiss(None)
