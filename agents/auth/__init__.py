"""AuthAgent: the policy gate every tool call passes through (allow / ask / deny)."""
