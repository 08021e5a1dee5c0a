"""The session layer: everything Quarterdeck knows about sessions, and nothing about agents.

- :mod:`sessions.store` is the team's **SessionStoreAgent**: the append-only, hash-chained event
  log, its one writer, its projections (session list, approvals, memory), verification, anchors,
  leases, keys and sealing. It is the single source of truth.
- :mod:`sessions.readmodel` folds committed records into what the console and replay show: the
  reducer, its views, timelines, the replay log. It reads the log and never writes it.
- :mod:`sessions.schema` is the event vocabulary (SessionSchema v1).
- :mod:`sessions.lifecycle` is a session's states, importable without pydantic.
- ``configs/`` holds the default policy and teams; ``data/`` the demo's assets.
"""
