"""uvicorn inside a Vigie process, which owns the signals: it stops when its task is
cancelled."""

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_asgi(app: Any, listen: str) -> None:
    host, _, port = listen.rpartition(":")
    server = _EmbeddedServer(
        uvicorn.Config(app, host=host, port=int(port), log_level="warning", lifespan="off")
    )
    try:
        await server.serve()
    except asyncio.CancelledError:
        # Idle keep-alive connections would hold a graceful shutdown open indefinitely.
        server.force_exit = True
        await server.shutdown()
        raise
