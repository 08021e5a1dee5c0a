"""The app layer: the ``quarterdeck`` command, the Textual app, and the bridge from the core.

Importing it sets Textual's frame cap to 120 a second (``TEXTUAL_FPS``; a value already in the
environment wins), before anything imports Textual. Frames are drawn only when something
changed, so the cap costs nothing idle; under a stream of events the bridge's 30 updates a
second each take a frame, and at Textual's default 60 a key pressed just after one waited up to
two frame periods for its own (p99 50-60 ms at 250 events/s; 26-30 ms at 120).
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
