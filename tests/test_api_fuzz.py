"""Schemathesis against the response service's own OpenAPI document: requests generated
from it (valid and not) never get a 500, and none records an answer without a valid token."""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from faststream.kafka import KafkaBroker, TestKafkaBroker
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr

from schemas.responses import PersonResponse
from schemas.topics import RESPONSES
from services.common.config import Settings
from services.common.runtime import Runtime, make_redis
from services.common.web_server import serve_asgi
from services.embedded.processes import free_port
from services.embedded.stack import EmbeddedStack
from services.responses.web import create_app
from services.status.web import mount_crisis_page

KEY = "gateway-key"


class ServedApp:
    """The response service's web app (answers, the SMS webhook, the crisis page) on its own
    thread and event loop, publishing to an in-memory broker that records each answer."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.recorded = settings, list[PersonResponse]()
        self.port = free_port()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        broker = KafkaBroker(self.settings.bootstrap_servers)
        redis = make_redis(self.settings)
        rt = Runtime(self.settings, broker, redis)

        @broker.subscriber(rt.topic(RESPONSES))
        async def recorded(response: PersonResponse) -> None:
            self.recorded.append(response)

        async with TestKafkaBroker(broker):
            app = create_app(rt, [mount_crisis_page])
            server = asyncio.create_task(serve_asgi(app, f"127.0.0.1:{self.port}"))
            await asyncio.to_thread(self.stop.wait)
            server.cancel()
            await asyncio.gather(server, return_exceptions=True)
        await redis.aclose()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def served(stack: EmbeddedStack) -> Iterator[ServedApp]:
    app = ServedApp(
        stack.settings().model_copy(
            update={
                "inbound_sms_key": SecretStr(KEY),
                "response_secret": SecretStr("s" * 32),
                "view_key": SecretStr("view-key"),
            }
        )
    )
    app.thread.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{app.url}/healthz", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the app did not come up"
            time.sleep(0.05)
    yield app
    app.stop.set()
    app.thread.join(timeout=10)


def test_generated_requests_never_fail_the_response_service(served: ServedApp) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    failures: list[str] = []
    called: Counter[str] = Counter()

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def call(case: schemathesis.Case) -> None:
        # Half with the gateway's key, so that the webhook's own checks are reached too.
        if case.operation.path == "/sms/inbound" and hash(repr(case.body)) % 2:
            case.headers = {**(case.headers or {}), "X-Vigie-Key": KEY}
        response = case.call(base_url=served.url, timeout=10)
        called[f"{case.method} {case.operation.path}"] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.path}: {response.status_code}")

    call()
    operations = {f"{o.ok().method.upper()} {o.ok().path}" for o in schema.get_all_operations()}
    assert set(called) == operations, f"operations never called: {operations - set(called)}"
    assert not failures, failures[:10]
    assert served.recorded == [], "an answer was recorded without a valid token"
