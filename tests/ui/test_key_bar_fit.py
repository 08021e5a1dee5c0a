"""The key bar keeps quit, help and the palette when the keys do not fit the width."""

from __future__ import annotations

from screens.widgets.key_bar import _Part, fit


def _parts() -> list[_Part]:
    return [
        _Part("a", 9, kept=False),
        _Part("b", 9, kept=False),
        _Part("help", 6, kept=True),
        _Part("c", 9, kept=False),
        _Part("quit", 7, kept=True),
    ]


def test_everything_shows_when_it_fits() -> None:
    assert [p.markup for p in fit(_parts(), 60)] == ["a", "b", "help", "c", "quit"]


def test_the_kept_keys_stay_and_the_others_drop_from_the_end() -> None:
    # 6+1 + 7+1 for the kept ones leaves 16: room for "a" only (10), not "b" after it.
    assert [p.markup for p in fit(_parts(), 31)] == ["a", "help", "quit"]


def test_a_later_short_key_does_not_jump_a_dropped_one() -> None:
    parts = [_Part("long", 20, kept=False), _Part("s", 1, kept=False), _Part("q", 3, kept=True)]
    assert [p.markup for p in fit(parts, 10)] == ["q"]


def test_too_narrow_for_anything_else_still_shows_the_kept_keys() -> None:
    assert [p.markup for p in fit(_parts(), 5)] == ["help", "quit"]
