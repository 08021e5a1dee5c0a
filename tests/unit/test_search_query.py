"""Search queries: what a user may type, how results are ranked, filtered, grouped and shown."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.schema import (
    AgentMessage,
    ApprovalRequested,
    PolicyDecided,
    SessionCreated,
    ToolCallRequested,
    ToolIntent,
)
from sessions.store.search import (
    SearchHit,
    SearchQuery,
    SearchQueryError,
    match_expression,
    memory_index,
    query_index,
)
from tests.ui.scenes import Scene


@pytest.mark.parametrize(
    ("typed", "expression"),
    [
        ("pytest", '"pytest"'),
        ("pytest -q", '"pytest" "-q"'),
        ('"calc package" tests', '"calc package" "tests"'),
        ("vers*", '"vers"*'),
        ("src/app.py", '"src/app.py"'),
        ("a OR b NOT c", '"a" "OR" "b" "NOT" "c"'),  # words, not operators
        ("title:x (y) ^z", '"title:x" "(y)" "^z"'),
        ('"unterminated phrase', '"unterminated phrase"'),
        ('say "hi', '"say" "hi"'),
        ('it"s', '"it""s"'),
        ("- && ||", None),
        ('"" *', None),
    ],
)
def test_what_a_user_types_becomes_terms_that_are_all_quoted(
    typed: str, expression: str | None
) -> None:
    if expression is None:
        with pytest.raises(SearchQueryError, match="nothing to search for"):
            match_expression(typed)
    else:
        assert match_expression(typed) == expression


def _scene() -> Scene:
    scene = Scene()
    scene.add("s1", "o", SessionCreated(title="Fix the flaky export test"))
    scene.add(
        "s1",
        "impl-1",
        ToolCallRequested(
            agent_id="impl-1", call_id="c1", tool="execute", command="pytest -q tests/export"
        ),
    )
    scene.add(
        "s1",
        "auth",
        PolicyDecided(
            call_id="c1", decision="ask", reason="runs tests", policy_hash="h", source="rule"
        ),
    )
    scene.add(
        "s1",
        "auth",
        ApprovalRequested(
            approval_id="ap",
            call_id="c1",
            agent_id="impl-1",
            role="implementer",
            tool="execute",
            summary="run pytest",
            command="pytest -q tests/export",
        ),
    )
    scene.add(
        "s1",
        "impl-1",
        ToolIntent(call_id="c1", idempotency_key="k", action="execute", argv=["pytest", "-q"]),
    )
    scene.add("s2", "o", SessionCreated(title="Another export"))
    scene.add("s2", "impl-1", AgentMessage(agent_id="impl-1", text="I ran pytest twice."))
    scene.add("s3", "o", SessionCreated(title="Another export"))
    return scene


@pytest.fixture
def index() -> Iterator[sqlite3.Connection]:
    conn = memory_index(_scene().records)
    yield conn
    conn.close()


def _seqs(hits: list[SearchHit]) -> list[int]:
    return [hit.seq for hit in hits]


def test_the_records_of_one_tool_call_are_one_result_at_the_first(
    index: sqlite3.Connection,
) -> None:
    hits = query_index(index, SearchQuery(text="pytest"))
    assert sorted(_seqs(hits)) == [2, 7]  # not 4 and 5: the same call as 2
    by_seq = {hit.seq: hit for hit in hits}
    assert by_seq[2].kind == "tool.requested" and by_seq[2].title == "Fix the flaky export test"
    assert by_seq[7].kind == "agent.message" and by_seq[7].session_id == "s2"


def test_equals_rank_newest_first_and_filters_narrow(index: sqlite3.Connection) -> None:
    assert _seqs(query_index(index, SearchQuery(text='"another export"'))) == [8, 6]
    assert _seqs(query_index(index, SearchQuery(text="export", session_id="s2"))) == [6]
    assert _seqs(query_index(index, SearchQuery(text="export", limit=1))) == [8]
    by_kind = query_index(index, SearchQuery(text="pytest", kind="approval.requested"))
    assert _seqs(by_kind) == [4]
    assert query_index(index, SearchQuery(text="pytest", session_id="s3")) == []


def test_words_are_anded_phrases_kept_in_order_and_prefixes_extended(
    index: sqlite3.Connection,
) -> None:
    assert _seqs(query_index(index, SearchQuery(text="pytest twice"))) == [7]
    assert _seqs(query_index(index, SearchQuery(text='"twice pytest"'))) == []
    assert sorted(_seqs(query_index(index, SearchQuery(text="flak*")))) == [1]
    assert sorted(_seqs(query_index(index, SearchQuery(text="FLAKY")))) == [1]  # case folded


def test_a_hit_shows_its_passage_on_one_line_with_the_matches_marked(
    index: sqlite3.Connection,
) -> None:
    [hit] = query_index(index, SearchQuery(text="twice"))
    assert hit.snippet == "I ran pytest twice."
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["twice"]
    assert hit.as_dict()["highlights"] == [[13, 18]] and hit.score > 0


@settings(max_examples=300, deadline=None)
@given(typed=st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_whatever_a_user_types_is_searched_unless_it_has_no_word_at_all(typed: str) -> None:
    query = SearchQuery(text=typed)
    if not any(char.isalnum() for char in typed):
        with pytest.raises(SearchQueryError, match="nothing to search for"):
            query_index(_shared_index(), query)
        return
    hits = query_index(_shared_index(), query)  # never a syntax error of the index
    assert all(isinstance(hit, SearchHit) for hit in hits)


@cache
def _shared_index() -> sqlite3.Connection:
    return memory_index(_scene().records)
