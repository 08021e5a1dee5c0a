"""The SessionStoreAgent: the event log and everything that keeps it true.

One write path: :class:`~sessions.store.event_store.EventStore` redacts, chains and hands events
to the one writer thread (:mod:`~sessions.store.writer`), which commits them in batches together
with the projections (:mod:`~sessions.store.projections`) and only then tells subscribers. Around
it: the database engine (:mod:`~sessions.store.engine`), the tables, the chain's arithmetic,
anchors and ``audit verify``, the session lease, encryption keys and sealed projection values,
bulk reads (:mod:`~sessions.store.reading`) and export/import.

This ``__init__`` imports nothing, so reading a :class:`~sessions.store.record.Record` does not
load SQLAlchemy.
"""
