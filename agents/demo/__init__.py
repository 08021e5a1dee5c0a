"""The built-in demo agent: a scripted ACP agent that plays a TOML playbook (see docs/demo.md)."""
