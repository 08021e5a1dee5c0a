"""The OS sandbox around agent processes and the commands run for them (bubblewrap on Linux).

The gate decides what an agent *asks* to do; the sandbox holds an agent that does not ask: its
own tools see the rest of the file system read-only, the policy's secret paths and
Quarterdeck's own directories hidden, and only the workspace, a private ``/tmp`` and the
agent's state directories writable (docs/decisions.md, "The sandbox").
"""
