"""Checkpoints of a workspace in a shadow git repository: snapshot, rollback, fork."""
