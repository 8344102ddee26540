"""The garbage collector of a long-running server process, set for steady latency (``steady``).

CPython's defaults (a young collection every 700 net allocations; a full one once the objects that
survived since the last make a quarter of those it kept) suit short scripts. In a room process at a
national peak (bench, scenario 7) they ran a full collection every ~9 s over ~370,000 objects, each
stopping the event loop, with every bid and frame of the process, for 0.3-0.8 s, and freeing
nothing: what a room keeps (its sockets, the lots' states) lives as long as the process or the lot.
The cycles SEEI makes (a connection's handshake, asyncio's futures) die young: young collections
still free them, less often. Used by the room processes and the task worker; the page processes
keep CPython's defaults (set this way, the peak's portal measured no gain).
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # net allocations between young collections (CPython: 700)
MIDDLE = 20  # young collections between collections of the middle generation (CPython: 10)
OLD = 100  # middle collections before a full collection is considered (CPython: 10)


def steady() -> None:
    """Once the process is set up, just before it serves: what it has built so far (Django, the
    apps, the settings, the URL patterns: never garbage) is moved out of the collector's sight
    (``gc.freeze``), so that a full collection goes over what serving adds; then the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
