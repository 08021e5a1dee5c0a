"""Where a failed background worker reaches the user: one error notification, never silence.

Database reads, scans and file reads run in workers started with ``exit_on_error=False`` (a
failed read must not take the console down). Textual then only logs the error and posts
:class:`~textual.worker.Worker.StateChanged` to the node that started the worker — a message
that does not bubble — so the app and each screen that starts workers mix this handler in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.dom import DOMNode

    _Base = DOMNode
else:
    _Base = object


class ReportsFailedWorkers(_Base):
    """Tells the user of every worker of this node that failed."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An error notification naming the work and the error."""
        worker, error = event.worker, event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            self.app.notify(
                f"{worker.name}: {error or type(error).__name__}",
                title="Background work failed",
                severity="error",
                timeout=10,
                markup=False,  # an error's text may hold brackets
            )
