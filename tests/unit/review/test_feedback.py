"""A review's comments in words: for the implementer's prompt, the timeline and search."""

from __future__ import annotations

from agents.orchestrator.turns import prompt_for
from agents.review.diff import FileDiff, Hunk
from agents.review.feedback import LINES_KEPT, comment_on, feedback_text
from sessions.readmodel.describe import describe
from sessions.schema.review import ChangesRequested
from sessions.schema.session import SessionContext
from sessions.store.record import Record
from sessions.store.search_text import text_of

HUNK = Hunk(
    header="@@ -1,3 +1,3 @@ def f():",
    old_start=1,
    old_count=3,
    new_start=1,
    new_count=3,
    lines=(" a", "-b", "+B", *(f"+{i}" for i in range(100)), " c"),
)
FILE = FileDiff(path="src/f.py", status="modified", hunks=(HUNK,))
BINARY = FileDiff(path="logo.png", status="added", binary=True)


def test_a_comment_keeps_its_hunk_and_the_feedback_quotes_a_few_changed_lines() -> None:
    on_hunk = comment_on(FILE, HUNK, "use a constant")
    on_file = comment_on(BINARY, None, "drop it")
    assert on_hunk.hunk == HUNK.header and len(on_hunk.lines) == LINES_KEPT
    assert (on_file.hunk, on_file.lines) == ("", [])
    text = feedback_text([on_hunk, on_file], summary="almost", by="ann")
    assert text.splitlines() == [
        "ann reviewed the changes and asks for changes (2 comments):",
        "Overall: almost",
        "- src/f.py @@ -1,3 +1,3 @@ def f():",
        "    | -b",
        "    | +B",
        "    | +0",
        "    | +1",
        "  → use a constant",
        "- logo.png (the whole file)",
        "  → drop it",
    ]


def test_a_follow_up_s_agents_read_the_comments_in_their_first_prompt() -> None:
    context = SessionContext(task="t", feedback=["ann asks: use a constant"])
    prompt = prompt_for("implementer", context, attempt=1, failures=[])
    assert "Changes asked for in review of earlier work:\n- ann asks: use a constant" in prompt
    assert "Changes asked for" not in prompt_for(
        "implementer", SessionContext(task="t"), attempt=1, failures=[]
    )


def test_the_timeline_and_search_read_a_request_for_changes() -> None:
    event = ChangesRequested(
        comments=[comment_on(FILE, HUNK, "use a constant")],
        summary="almost",
        by="ann",
        follow_up_session_id="f0110w-up-0000",
    )
    payload = event.to_json_obj()
    record = Record(
        1,
        "s",
        1,
        "2026-01-01T00:00:00.000000Z",
        "human:ann",
        event.KIND,
        1,
        event.model_dump_json(exclude_defaults=True),
        "p",
        "h",
    )
    assert describe(record) == "ann requested changes (1 comment(s)) → follow-up f0110w-u: almost"
    assert text_of(event.KIND, payload) == "review · ann · almost · src/f.py · use a constant"
