"""``python -m sessions.schema [PATH]`` writes the JSON Schema of SessionSchema v1."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sessions.schema.registry import json_schema

DEFAULT = Path("docs/schema/session-v1.schema.json")


def render() -> str:
    """The schema as committed: indented, keys sorted, a final newline."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
