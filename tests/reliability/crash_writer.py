"""Child process for the crash test: appends forever, acking each durably committed seq.

Usage: ``python crash_writer.py DB SESSION``. Every line on stdout is a seq that is on disk.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sessions.schema import AgentMessage
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore


async def main(db: str, session: str) -> None:
    """Mix fire-and-forget bursts with durable appends; ack only what a durable commit covers."""
    store = EventStore(open_engine(db), batch_max=50)
    i = 0
    while True:
        for _ in range(20):
            store.append(session, "w", AgentMessage(agent_id="w", text=f"burst {i} " + "x" * 400))
            i += 1
        record = await store.append_durable(session, "w", AgentMessage(agent_id="w", text=f"d{i}"))
        i += 1
        # The durable commit covers every earlier append of this process (one writer, in order).
        sys.stdout.write(f"{record.seq}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
