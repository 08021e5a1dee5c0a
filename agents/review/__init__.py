"""Reviewing a session's changes: the diff against a checkpoint, and the reviewer's verdict."""
