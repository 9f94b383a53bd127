"""The responses service: the answer web endpoint, and the safety-check consumer group."""

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn

from schemas.responses import Answer, PersonResponse, Role
from schemas.topics import RESPONSES
from services.common.runtime import Runtime
from services.resolver.people import nationals_by_id
from services.responses.safety import SafetyBook
from services.responses.web import create_app

STAGE = "safety"


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a service that owns the signals: it stops when its task is cancelled."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def register(rt: Runtime) -> None:
    book = SafetyBook(rt.redis)
    app = create_app(rt)

    @rt.subscribe(RESPONSES, STAGE)
    async def on_answer(response: PersonResponse) -> None:
        if response.role is not Role.NATIONAL:
            return
        await book.record(response, await _contact(rt, response))

    async def serve_web() -> None:
        host, _, port = rt.settings.response_listen.rpartition(":")
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

    rt.background.append(serve_web)


async def _contact(rt: Runtime, response: PersonResponse) -> str | None:
    """How the post can reach someone who needs help: their number, else their email."""
    if response.answer is not Answer.HELP:
        return None
    person = (await nationals_by_id(rt.redis, [response.person_id])).get(response.person_id)
    contact = (person or {}).get("sms") or (person or {}).get("email")
    return str(contact) if contact else None
