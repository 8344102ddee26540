"""Processes that the tests and the bench start: each in a session of its own, remembered, and
stopped with everything it started, whatever happens (a failed start, a failed assertion, Ctrl-C).

A child in its own session is out of reach of the terminal's Ctrl-C, so its parent must stop it:
``Child`` is a context manager, a failed ``wait_http`` stops it before raising, every child still
running when the parent exits is stopped (``atexit``), and ``leftovers()`` lets a test run fail
when any process of its children's sessions is still alive.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_children: dict[int, Child] = {}  # session id (= the child's pid) -> child


class Child:
    """``args`` run in a new session, its output in ``log``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path):
        self.name, self.log = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        _children[self.popen.pid] = self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self, tail: int = 0) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        text = self.log.read_text(errors="replace")
        return text[-tail:] if tail else text

    def wait_http(self, url: str, timeout: float = 60, ready=lambda status: status == 200) -> None:
        """Wait until ``url`` answers; else stop the child and raise with its output."""
        import httpx

        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise RuntimeError(f"{self.name} exited:\n{self.output(4000)}")
                with contextlib.suppress(httpx.HTTPError):
                    if ready(httpx.get(url, timeout=2).status_code):
                        return
                time.sleep(0.2)
            raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s:\n{self.output(4000)}")
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL to its whole session: it dies at once, as on a crashed machine."""
        _signal_session(self.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM to its session, SIGKILL to whatever is left of it after 10 s."""
        _signal_session(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 10
        while _session_members(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_session(self.pid, signal.SIGKILL)
        self.popen.wait(10)
        self._log_file.close()
        _children.pop(self.pid, None)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _processes() -> dict[int, tuple[int, str]]:
    """Every process of the machine: pid -> (session id, command name)."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(entry.path, "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                if fields[0] != "Z":  # a zombie is dead, waiting for its parent to read its status
                    found[int(entry.name)] = (int(fields[3]), name)
    return found


def _session_members(session: int) -> list[int]:
    return [pid for pid, (sid, _) in _processes().items() if sid == session]


def _signal_session(session: int, signum: int) -> None:
    for pid in _session_members(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def leftovers(grace: float = 5.0) -> list[str]:
    """The processes still alive, after ``grace`` seconds, in the sessions of the children this
    process started, and its own descendants: "pid name" each."""
    deadline = time.monotonic() + grace
    while True:
        processes = _processes()
        parents = {}
        for pid in processes:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                parents[pid] = int(status.split("PPid:")[1].split()[0])
        mine = {pid for pid, (sid, _) in processes.items() if sid in _children}
        descendants, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - descendants
            descendants |= frontier
        left = sorted((mine | descendants) & processes.keys())
        if not left or time.monotonic() > deadline:
            return [f"{pid} {processes[pid][1]}" for pid in left]
        time.sleep(0.2)


@atexit.register
def stop_all() -> None:
    for child in list(_children.values()):
        child.stop()
