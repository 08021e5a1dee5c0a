"""Child process for the approvals tests: asks for one approval and waits for the answer.

Usage: ``python approval_child.py DB WORKSPACE COMMAND``. Prints ``asked <id>`` once the request
is durable, then ``answered <outcome> <decided_by>`` and exits.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agents.approvals.broker import ApprovalBroker, RequestAdded
from agents.auth.requests import ToolKind, ToolRequest
from sessions.schema import SessionCreated
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore


async def main(db: str, workspace: str, command: str) -> None:
    """Ask, announce, follow answers from other processes, report."""
    store = EventStore(open_engine(db))
    await store.append_durable(
        "s-child", "orchestrator", SessionCreated(title="child", workspace=workspace)
    )
    broker = ApprovalBroker(store, timeout_s=120)
    broker.subscribe(
        lambda event: (
            print(f"asked {event.approval.approval_id}", flush=True)
            if isinstance(event, RequestAdded)
            else None
        )
    )
    stop = asyncio.Event()
    follower = asyncio.create_task(broker.follow_external(stop, interval_s=0.05))
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=Path(workspace), command=command
    )
    resolution = await broker.request(
        session_id="s-child", agent_id="impl-1", call_id="c1", request=request, summary=command
    )
    print(f"answered {resolution.outcome.value} {resolution.decided_by}", flush=True)
    stop.set()
    await follower
    store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
