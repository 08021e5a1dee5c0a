"""The read model: committed records folded into what the console and replay show.

The live console and replay fold the same records through the same reducer
(:mod:`~sessions.readmodel.reducer`) into the same frozen views (:mod:`~sessions.readmodel.views`),
built in place by mutable drafts (:mod:`~sessions.readmodel.view_builders`) and frozen only when
asked. It reads records and never writes them: an import-linter contract keeps the store's writer
out of this package.
"""
