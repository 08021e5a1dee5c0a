"""The orchestrator: runs sessions of a team of agents through the workflow, recording it all."""
