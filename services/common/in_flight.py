"""Keep several publishes in flight instead of waiting for each broker ack in turn."""

import asyncio
from collections.abc import Coroutine
from typing import Any


class InFlight:
    def __init__(self, limit: int = 16) -> None:
        self.limit = limit
        self.pending: set[asyncio.Task[Any]] = set()

    async def add(self, work: Coroutine[Any, Any, Any]) -> None:
        if len(self.pending) >= self.limit:
            done, self.pending = await asyncio.wait(
                self.pending, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                task.result()  # a failed publish fails the handler: the message is re-read
        self.pending.add(asyncio.create_task(work))

    async def drain(self) -> None:
        """Wait for everything still in flight; call before the offset may be committed."""
        pending, self.pending = self.pending, set()
        results = await asyncio.gather(*pending, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
