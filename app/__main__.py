"""``python -m app`` runs the quarterdeck command."""

from app.cli import run

run()
