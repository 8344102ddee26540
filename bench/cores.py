"""Where a run's CPU went: the bench's processes by part, and the machine's cores in all (Linux /proc).

Every process the bench started descends from it (SEEI's processes, the viewers' clients, the private
Redis), and PostgreSQL's from its postmaster (embedded or the machine's), so a part is the CPU its
processes spent between two readings. What no part holds (a process that ended in between, such as
a worker job's database connection; the kernel's work) is the machine's busy time left over.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from bench.services import cpu_seconds, stat_fields

# A process's part: the first whose mark its command line holds. The bench process itself (bidders,
# portal clients) is the load generator too.
LOAD_GENERATOR = "load generator"
PARTS = (
    ("room processes", "seei.room.server"),
    ("page server", "gunicorn"),
    ("worker, clock lane", "--lane=clock"),
    ("worker, jobs lane", "--lane=jobs"),
    ("PostgreSQL", "postgres"),
    ("Redis", "redis-server"),
    (LOAD_GENERATOR, "bench.viewers"),
)
LEFT_OVER = "not attributed"  # processes ended meanwhile, the kernel


def part_of(command: str) -> str | None:
    return next((part for part, mark in PARTS if mark in command), None)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError):  # gone meanwhile
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return found


def command_of(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores spent on anything but idling and waiting for the disk."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reading:
    seconds: float  # a monotonic clock
    busy: float  # machine_busy_seconds()
    processes: dict[int, tuple[str, float]]  # pid -> (part, CPU seconds so far)


async def postmaster(conninfo: str) -> int | None:
    """The pid of the PostgreSQL server's postmaster (its connections' parent), if it runs here."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        backend = (await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0]
        with contextlib.suppress(OSError):  # read while the backend lives: it ends with the connection
            return int(stat_fields(backend)[1])
    return None


def read(*roots: int | None) -> Reading:
    """The CPU so far of this process, of every process below it and below ``roots``."""
    root = os.getpid()
    processes = {root: (LOAD_GENERATOR, cpu_seconds(root))}
    below = descendants(root)[1:] + [pid for other in roots if other for pid in descendants(other)]
    for pid in below:
        with contextlib.suppress(OSError, ValueError):  # gone meanwhile
            if part := part_of(command_of(pid)):
                processes[pid] = (part, cpu_seconds(pid))
    return Reading(os.times().elapsed, machine_busy_seconds(), processes)


def cores_used(before: Reading, after: Reading) -> dict[str, float]:
    """The cores each part used on average between two readings (a process started meanwhile counts
    from zero), and what the machine's busy time leaves over."""
    elapsed = after.seconds - before.seconds
    spent = dict.fromkeys([part for part, _mark in PARTS], 0.0)
    for pid, (part, seconds) in after.processes.items():
        earlier = before.processes.get(pid)
        spent[part] += seconds - (earlier[1] if earlier and earlier[0] == part else 0.0)
    spent[LEFT_OVER] = max(0.0, after.busy - before.busy - sum(spent.values()))
    return {part: seconds / elapsed for part, seconds in spent.items()} if elapsed > 0 else {}
