"""The response service's web app (answers, the SMS webhook, the crisis page) served on a
loopback port, on its own thread and event loop, for tests that call it over HTTP."""

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from faststream.kafka import KafkaBroker, TestKafkaBroker

from schemas.responses import PersonResponse
from schemas.topics import RESPONSES
from services.common.config import Settings
from services.common.runtime import Runtime, make_redis
from services.common.web_server import serve_asgi
from services.embedded.processes import free_port
from services.responses.web import create_app
from services.status.web import mount_crisis_page


class ServedApp:
    """Publishes to an in-memory broker that records each answer (`recorded`); Redis is the
    real one the settings name."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.recorded = settings, list[PersonResponse]()
        self.host, self.port = "127.0.0.1", free_port()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        broker = KafkaBroker(self.settings.bus.bootstrap_servers)
        redis = make_redis(self.settings)
        rt = Runtime(self.settings, broker, redis)

        @broker.subscriber(rt.topic(RESPONSES))
        async def recorded(response: PersonResponse) -> None:
            self.recorded.append(response)

        async with TestKafkaBroker(broker):
            app = create_app(rt, [mount_crisis_page])
            server = asyncio.create_task(serve_asgi(app, f"{self.host}:{self.port}"))
            await asyncio.to_thread(self.stop.wait)
            server.cancel()
            await asyncio.gather(server, return_exceptions=True)
        await redis.aclose()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def served_app(settings: Settings) -> Iterator[ServedApp]:
    """The app, once it answers `/healthz`; stopped on the way out."""
    app = ServedApp(settings)
    app.thread.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{app.url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the app did not come up"
                time.sleep(0.05)
        yield app
    finally:
        app.stop.set()
        app.thread.join(timeout=10)
