"""``v``: review a session's changes — files and their hunks, comments, then request changes or
accept.

The diff is read and drawn on a worker thread (git, the database, Pygments); the loop mounts
what is ready. Keys walk hunks across files; ``c`` comments the current hunk (a file with no
hunks, e.g. a binary one, is commented as a whole). The comments are a :class:`ReviewDraft`
the dashboard keeps per session, so ``escape`` loses nothing while the console is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.format import escape
from screens.help import HelpScreen, binding_rows
from screens.message import MessageScreen
from screens.review_render import file_label, file_title
from screens.review_source import ReviewSource
from screens.review_state import (
    BASE_WORDS,
    ReviewDraft,
    Shown,
    Stop,
    comment_key,
    describe,
    read_shown,
    stops_of,
)
from screens.widgets.key_bar import KeyBar
from screens.worker_errors import ReportsFailedWorkers
from sessions.errors import QuarterdeckError
from sessions.schema.review import HunkComment

if TYPE_CHECKING:
    from agents.review.changes import BaseKind
    from agents.review.diff import FileDiff, Hunk

__all__ = ["ReviewDraft", "ReviewScreen", "Verdict"]

Verdict = Literal["accepted", "changes_requested"]
"""How a review ended (``None``: closed, the draft kept)."""


class ReviewScreen(ReportsFailedWorkers, Screen[Verdict | None]):
    """One session's changes against one of its checkpoints; nothing here edits a file."""

    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("c", "comment", "Comment", id="review.comment"),
        Binding("r", "request_changes", "Request changes", id="review.request-changes"),
        Binding("a", "accept", "Accept", id="review.accept"),
        Binding("j", "hunk(1)", "Next hunk", id="review.next-hunk"),
        Binding("k", "hunk(-1)", "Prev hunk", id="review.prev-hunk"),
        Binding("J", "file(1)", "Next file", id="review.next-file"),
        Binding("K", "file(-1)", "Prev file", id="review.prev-file"),
        Binding("x", "delete_comment", "Delete comment", show=False, id="review.delete-comment"),
        Binding("b", "toggle_base", "Base", id="review.base"),
        Binding("question_mark", "help", "Help", show=False, id="review.help"),
        Binding("escape,q", "close", "Back", id="review.close"),
    ]

    def __init__(
        self,
        source: ReviewSource,
        draft: ReviewDraft,
        *,
        session_id: str,
        title: str = "",
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.keymap = keymap or {}
        """Binding id → keys, as remapped by the config file (for help)."""
        self.source = source
        self.draft = draft
        self.session_id = session_id
        self.title_text = title
        self.shown: Shown | None = None
        self.stops: list[Stop] = []
        self.at = 0
        """Index of the current stop."""
        self._file: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="review-header")
        with Horizontal(id="review-main"):
            files = OptionList(id="review-files")
            files.can_focus = False  # keys walk hunks; a click still picks a file
            yield files
            yield VerticalScroll(id="review-hunks")
        yield KeyBar()

    def on_mount(self) -> None:
        self._header("reading the changes…")
        self.query_one("#review-hunks").focus()
        self.load(self.draft.base)

    # -- reading ------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="review-load",
        exit_on_error=False,
        name="reading the changes",
    )
    def load(self, base: BaseKind) -> None:
        """Read the diff against ``base`` and draw its hunks, off the loop."""
        try:
            shown = read_shown(self.source, base)
        except QuarterdeckError as exc:
            self.post_message(self.Failed(base, str(exc)))
            return
        self.post_message(self.Loaded(shown))

    class Loaded(Message):
        """The diff was read and drawn (posted from the worker thread)."""

        def __init__(self, shown: Shown) -> None:
            super().__init__()
            self.shown = shown

    class Failed(Message):
        """The diff could not be read: why (posted from the worker thread)."""

        def __init__(self, base: BaseKind, reason: str) -> None:
            super().__init__()
            self.base, self.reason = base, reason

    async def on_review_screen_failed(self, event: Failed) -> None:
        if event.base != self.draft.base:
            return  # the base was switched again meanwhile: its own read answers
        message = event.reason
        if self.shown is None:
            self._header("")
            pane = self.query_one("#review-hunks")
            await pane.remove_children()
            await pane.mount(Static(message, classes="review-empty"))
        else:  # keep what is shown, and its base
            self.draft.base = self.shown.changes.base.kind
            self._header(self._describe())
        self.notify(message, title="Review", severity="error", timeout=8)

    async def on_review_screen_loaded(self, event: Loaded) -> None:
        shown = event.shown
        if shown.changes.base.kind != self.draft.base:
            return  # the base was switched again meanwhile: its own read answers
        self.shown, self.draft.base = shown, shown.changes.base.kind
        self.stops = stops_of(shown.changes)
        self.at, self._file = 0, None
        self._list_files()
        await self._show()

    # -- drawing ------------------------------------------------------------------------------

    def _header(self, text: str) -> None:
        title = f"[b]Review[/] {escape(self.title_text)} [$text-muted]{self.session_id[:8]}[/]"
        self.query_one("#review-header", Static).update(f"{title}\n{text}" if text else title)

    def _describe(self) -> str:
        return describe(self.shown, self.draft, self.stops) if self.shown is not None else ""

    def _list_files(self) -> None:
        assert self.shown is not None
        files = self.query_one("#review-files", OptionList)
        counts: dict[str, int] = {}
        for path, _ in self.draft.comments:
            counts[path] = counts.get(path, 0) + 1
        highlighted = files.highlighted
        files.clear_options()
        files.add_options(
            Option(file_label(f, comments=counts.get(f.path, 0)), id=str(i))
            for i, f in enumerate(self.shown.changes.files)
        )
        if not self.shown.changes.files:
            files.add_option(Option("no changes", disabled=True))
        files.highlighted = highlighted if highlighted is not None else 0

    async def _show(self) -> None:
        """Draw the current stop's file (when it changed) and mark the current hunk."""
        self._header(self._describe())
        shown, pane = self.shown, self.query_one("#review-hunks", VerticalScroll)
        if shown is None or not self.stops:
            await pane.remove_children()
            await pane.mount(
                Static("The workspace matches this checkpoint.", classes="review-empty")
            )
            return
        stop = self.stops[self.at]
        if stop.file != self._file:
            self._file = stop.file
            await self._draw_file(pane, shown, stop.file)
            self.query_one("#review-files", OptionList).highlighted = stop.file
        for view in pane.query(".hunk"):
            view.set_class(view.id == f"hunk-{stop.hunk}", "-current")
        current = pane.query(f"#hunk-{stop.hunk}") if stop.hunk is not None else None
        if current:  # once laid out: a hunk just mounted has no place yet
            widget = current.first()
            self.call_after_refresh(pane.scroll_to_widget, widget, top=True, animate=False)
        else:
            pane.scroll_home(animate=False)

    async def _draw_file(self, pane: VerticalScroll, shown: Shown, index: int) -> None:
        file = shown.changes.files[index]
        widgets: list[Static] = [Static(file_title(file), classes="file-title")]
        whole = self.draft.comments.get((file.path, ""))
        if whole is not None:
            widgets.append(_comment_view(whole))
        for h, content in enumerate(shown.hunks[index]):
            widgets.append(Static(content, id=f"hunk-{h}", classes="hunk"))
            said = self.draft.comments.get((file.path, file.hunks[h].header))
            if said is not None:
                widgets.append(_comment_view(said))
        await pane.remove_children()
        await pane.mount_all(widgets)

    async def _redraw(self) -> None:
        self._file = None
        self._list_files()
        await self._show()

    # -- keys ---------------------------------------------------------------------------------

    async def action_hunk(self, delta: int) -> None:
        """The next or previous hunk, on into the next or previous file."""
        if self.stops:
            self.at = max(0, min(len(self.stops) - 1, self.at + delta))
            await self._show()

    async def action_file(self, delta: int) -> None:
        """The first hunk of the next or previous file."""
        if self.stops:
            await self._go_to_file(self.stops[self.at].file + delta)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            await self._go_to_file(int(event.option.id))

    async def _go_to_file(self, index: int) -> None:
        found = next((i for i, s in enumerate(self.stops) if s.file == index), None)
        if found is not None:
            self.at = found
            await self._show()

    def _current(self) -> tuple[FileDiff, Hunk | None, tuple[str, str]] | None:
        """The current stop's file, hunk (None: the whole file) and comment key."""
        if self.shown is None or not self.stops:
            self.notify("There is nothing to comment on.", severity="warning")
            return None
        stop = self.stops[self.at]
        file = self.shown.changes.files[stop.file]
        hunk = file.hunks[stop.hunk] if stop.hunk is not None else None
        return file, hunk, comment_key(file, stop)

    @work(group="review-comment", exit_on_error=False, name="commenting a hunk")
    async def action_comment(self) -> None:
        """Write (or edit) the comment on the current hunk; an empty one deletes it."""
        current = self._current()
        if current is None:
            return
        file, hunk, key = current
        before = self.draft.comments.get(key)
        where = f"{file.path} {hunk.header}" if hunk is not None else f"{file.path} (whole file)"
        ask = MessageScreen(
            "Comment",
            f"On {where}. The implementer reads it with the hunk; an empty comment deletes it.",
            placeholder="what should change here",
            value=before.text if before is not None else "",
            allow_empty=True,
            send="keep",
        )
        text = await self.app.push_screen_wait(ask)
        if text is None:
            return
        from agents.review.feedback import comment_on

        if text:
            self.draft.comments[key] = comment_on(file, hunk, text)
        else:
            self.draft.comments.pop(key, None)
        await self._redraw()

    async def action_delete_comment(self) -> None:
        """Delete the current hunk's comment."""
        current = self._current()
        if current is None:
            return
        if self.draft.comments.pop(current[2], None) is None:
            self.notify("This hunk has no comment.", severity="warning")
            return
        await self._redraw()

    def action_toggle_base(self) -> None:
        """Compare with the other checkpoint: the first one, or the last known-good one."""
        self.draft.base = "known_good" if self.draft.base == "first" else "first"
        self._header(f"reading the changes against {BASE_WORDS[self.draft.base]}…")
        self.load(self.draft.base)

    @work(group="review-verdict", exclusive=True, exit_on_error=False, name="requesting changes")
    async def action_request_changes(self) -> None:
        """Send the comments (and an overall one) to the implementer as its next feedback."""
        shown, comments = self.shown, list(self.draft.comments.values())
        if shown is None:
            return
        n = len(comments)
        note = (
            f"{n} comment{'s' if n != 1 else ''} go to the implementer as the feedback of its"
            " next attempt. An overall comment (optional):"
            if n
            else "No hunk has a comment: write what must change."
        )
        ask = MessageScreen("Request changes", note, value=self.draft.summary, allow_empty=bool(n))
        summary = await self.app.push_screen_wait(ask)
        if summary is None:
            return
        self.draft.summary = summary
        try:
            said = await self.source.request_changes(
                comments, summary=summary, base=shown.changes.base
            )
        except QuarterdeckError as exc:
            self.notify(str(exc), title="Request changes", severity="error", timeout=10)
            return
        self._sent(said)
        self.dismiss("changes_requested")

    @work(group="review-verdict", exclusive=True, exit_on_error=False, name="accepting changes")
    async def action_accept(self) -> None:
        """Accept the changes: ends the review (answers a waiting human review)."""
        shown, comments = self.shown, list(self.draft.comments.values())
        if shown is None:
            return
        kept = f" The {len(comments)} comment(s) are recorded with it." if comments else ""
        note = f"Nothing goes back to the implementer.{kept} A comment (optional):"
        ask = MessageScreen("Accept these changes", note, allow_empty=True, send="accept")
        summary = await self.app.push_screen_wait(ask)
        if summary is None:
            return
        try:
            said = await self.source.accept(comments, summary=summary, base=shown.changes.base)
        except QuarterdeckError as exc:
            self.notify(str(exc), title="Accept", severity="error", timeout=10)
            return
        self._sent(said)
        self.dismiss("accepted")  # the console then offers to end an ended session's worktree

    def _sent(self, said: str) -> None:
        self.draft.comments.clear()
        self.draft.summary = ""
        self.notify(said, title=f"Review · {self.session_id[:8]}", timeout=6)

    def action_help(self) -> None:
        """This screen's keys."""
        self.app.push_screen(HelpScreen(binding_rows(self.BINDINGS, self.keymap)))

    def action_close(self) -> None:
        """Back to the dashboard; the draft comments stay for the next ``v``."""
        self.dismiss(None)


def _comment_view(comment: HunkComment) -> Static:
    text = Content.assemble(("✎ ", "bold $text-warning"), comment.text)
    return Static(text, classes="comment")
