"""The garbage collector of SEEI's server processes (seei.core.collector), as each one starts."""

import json
import subprocess
import sys

from seei.core import collector
from tests.room.servers import environment

# What the process reports once set up: the application it serves, the collector's thresholds and
# how many objects were frozen out of its sight.
REPORT = "import gc, json; print(json.dumps([{served}, gc.get_threshold(), gc.get_freeze_count()]))"


def started(setup: str, served: str) -> tuple[bool, tuple, int]:
    code = f"{setup}; {REPORT.format(served=served)}"
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    same, threshold, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    return same, tuple(threshold), frozen


def test_a_room_server_process_serves_seei_with_what_it_built_frozen_and_the_thresholds_raised():
    """uvicorn's factory (``python -m seei.room.server``), called in each server process."""
    same, threshold, frozen = started(
        "from seei import asgi; from seei.room import server; app = server.application()",
        "app is asgi.application",
    )
    assert same
    assert threshold == (collector.YOUNG, collector.MIDDLE, collector.OLD)
    assert frozen > 50_000  # Django and SEEI's modules, settings and apps


def test_a_process_left_alone_keeps_cpythons_collector():
    """Only a process that serves sets it, as it starts: importing SEEI (as a test does) does not."""
    _same, threshold, frozen = started("from seei import asgi", "True")
    assert threshold == (700, 10, 10) and frozen == 0
