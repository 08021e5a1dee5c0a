"""The bridge's reads off the loop: a gap in ``seq`` is read before the records after it are
folded, a failed read is told to the user and tried again, and no record is skipped or folded
twice."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import Notify

from app.bridge import merged
from sessions.readmodel.console_model import ConsoleModel
from sessions.store.record import Record
from tests.ui import scenes
from tests.ui.conftest import ready, scene_app
from tests.ui.test_flows import wait_for


async def test_a_failed_gap_read_is_told_then_retried_and_every_record_folds_once() -> None:
    records = scenes.working()
    history, elsewhere, ours = records[:-6], records[-6:-3], records[-3:]
    app = scene_app(history)
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        assert app.bridge is not None
        source = app.bridge.source
        read_after = source.read_after
        limits: list[int] = []

        def failing_once(seq: int, limit: int) -> list[Record]:
            limits.append(limit)
            if len(limits) == 1:
                raise OSError("disk I/O error")
            return read_after(seq, limit)

        source.read_after = failing_once  # type: ignore[method-assign]
        source.records.extend(elsewhere)  # type: ignore[attr-defined]  # committed elsewhere: not told
        source.push(ours)  # type: ignore[attr-defined]  # committed here: told, after a gap
        last = ours[-1].seq
        await wait_for(pilot, lambda: app.model.last_seq == last, "every record folded")
        assert "reading the log: disk I/O error" in notes
        gap = len(elsewhere)
        assert limits == [gap, gap]  # the gap, then (its records queued again) the gap again
    expected = ConsoleModel()
    expected.add(records, alerts=False)
    assert app.model.view == expected.view
    assert app.model.timelines == expected.timelines


def test_folds_the_loop_has_not_taken_merge_into_one_update() -> None:
    records = scenes.working()
    model = ConsoleModel()
    first = model.add(records[:-4])
    then = model.add(records[-4:])
    both = merged(first, then)
    assert both.view is then.view and both.records == len(records)
    assert both.alerts == first.alerts + then.alerts
    whole = ConsoleModel().add(records)
    assert both.entries == whole.entries
    assert first.entries != both.entries  # the first update's lists were not extended in place
