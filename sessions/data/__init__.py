"""Data shipped with Quarterdeck: the demo agent's sample workspace and playbooks (``demo/``)."""
