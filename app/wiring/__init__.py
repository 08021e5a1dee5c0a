"""The composition root: the one place that builds the parts of the system and connects them.

:mod:`~app.wiring.store` opens the database and the store and finds the policy in force;
:mod:`~app.wiring.runtime` wires the running system of one process (store, policy, gate, broker,
orchestrator); :mod:`~app.wiring.console_boot` is what the console opens after its first paint.
"""
