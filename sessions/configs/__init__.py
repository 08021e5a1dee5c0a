"""Default configuration files shipped with Quarterdeck (policy, team templates)."""
