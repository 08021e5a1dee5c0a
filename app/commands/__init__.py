"""Handlers of the ``quarterdeck`` subcommands, one module per group."""
