"""Answering as people do: following the links in their messages, replying by SMS."""

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
import redis

from services.common.config import Settings
from services.providers import outbox
from tests.helpers import running

T = TypeVar("T")


async def eventually(probe: Callable[[], T], what: str, timeout_s: float = 30) -> T:
    """The probe's first truthy value; fails naming `what` if none comes in time."""
    deadline = time.monotonic() + timeout_s
    while not (value := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)
    return value


def emails(client: redis.Redis, address: str, subject_has: str = "") -> list[outbox.Received]:
    return [m for m in outbox.received(client, "email", address) if subject_has in m.title]


def link_in(body: str, answer: str) -> str:
    found = re.search(rf"(https?://\S+/a/\S+\?answer={answer})", body)
    assert found, f"no {answer} link in: {body}"
    return found.group(1)


async def follow(url: str) -> httpx.Response:
    """Open the link, then confirm on the page it shows, as a person would."""
    async with httpx.AsyncClient() as client:
        page = await client.get(url)
        if page.status_code != 200:
            return page
        form = re.search(r"action='([^']+)'.*name='answer' value='([^']+)'", page.text)
        assert form, page.text
        return await client.post(str(page.url.join(form.group(1))), data={"answer": form.group(2)})


@asynccontextmanager
async def answering(settings: Settings, names: list[str]) -> AsyncIterator[None]:
    """The services running, and the response service's web side taking requests."""
    async with running(settings, names), httpx.AsyncClient() as client:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{settings.answers.base_url}/healthz")).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the response service did not come up"
            await asyncio.sleep(0.1)
        yield


async def reply_sms(
    settings: Settings, sender: str, text: str, key: str | None = None
) -> httpx.Response:
    secret = (
        settings.answers.inbound_sms_key.get_secret_value()
        if settings.answers.inbound_sms_key
        else ""
    )
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{settings.answers.base_url}/sms/inbound",
            json={"from": sender, "text": text},
            headers={"X-Vigie-Key": secret if key is None else key},
        )
