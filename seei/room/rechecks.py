"""One loop per process re-reads every open socket's right to its room, every
SEEI_ROOM_RECHECK_SECONDS: a task and a timer of its own per socket would cost each of thousands of
viewers a kilobyte or two, for a check that runs twice a minute. The checks of one round share a
``reads`` dict: sockets that would read the same thing (the same lot, the same credentials: all the
anonymous viewers of a lot) read it once, so a round costs a query per lot and login, not per socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

AT_ONCE = 16  # checks in flight together: a few pool connections, never all of them


class Rechecks:
    def __init__(self, check: Callable[..., Awaitable[None]]) -> None:
        self._check = check  # check(key, *details, reads=…): closes the socket if it lost its right
        self._sockets: dict[Any, tuple] = {}
        self._task: asyncio.Task | None = None

    def add(self, key: Any, *details: Any) -> None:
        self._sockets[key] = details
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run())  # a new loop (tests) starts its own

    def discard(self, key: Any) -> None:
        self._sockets.pop(key, None)

    async def _run(self) -> None:
        while self._sockets:
            await asyncio.sleep(settings.SEEI_ROOM_RECHECK_SECONDS)
            due = list(self._sockets.items())
            reads: dict[Any, asyncio.Future] = {}
            for start in range(0, len(due), AT_ONCE):
                await asyncio.gather(
                    *(
                        self._check(key, *details, reads=reads)
                        for key, details in due[start : start + AT_ONCE]
                        if key in self._sockets
                    )
                )
