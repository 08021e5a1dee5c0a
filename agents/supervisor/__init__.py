"""What a human supervisor may do, from the console or the CLI, and nothing more.

:class:`~agents.supervisor.actions.Supervisor` answers approvals (here or in another process),
pauses, resumes and cancels sessions, reloads the policy and manages standing grants;
:mod:`~agents.supervisor.recovery` finds interrupted sessions, resumes them and rolls them back.
Screens call these and never touch a future, a lease or the policy file.
"""
