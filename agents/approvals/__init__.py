"""Human approvals, the queue the AuthAgent's "ask"s go to (and the human reviewer's verdict).

:mod:`~agents.approvals.broker` turns an "ask" into a durable request and a future the gate
awaits; :mod:`~agents.approvals.standing` writes the grant an "always"/"never" answer leaves;
:mod:`~agents.approvals.autoanswer` answers for a headless run, as :mod:`~agents.approvals.on_ask`
names.
"""
