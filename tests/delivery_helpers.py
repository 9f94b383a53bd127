"""Waiting for deliveries and reading what the local providers received."""

import asyncio
import io
import time

import redis
from rich.console import Console

from services.common.config import Settings
from services.common.runtime import make_redis
from services.providers import outbox
from services.state import crises, keys
from services.status.collect import crisis_view
from services.status.terminal import render


def status(client: redis.Redis, crisis_id: str) -> dict[str, int | str]:
    raw = client.hgetall(keys.status(crisis_id))
    return {k: int(v) if str(v).lstrip("-").isdigit() else v for k, v in raw.items()}


async def settled(
    client: redis.Redis, crisis_id: str, prefix: str = "", timeout_s: float = 60
) -> dict[str, int | str]:
    """Wait until every targeted delivery of the crisis is sent, failed or skipped."""
    deadline = time.monotonic() + timeout_s
    while not crises.is_settled(client.hgetall(keys.status(crisis_id)), prefix):
        assert time.monotonic() < deadline, f"not settled: {status(client, crisis_id)}"
        await asyncio.sleep(0.2)
    return status(client, crisis_id)


def received(client: redis.Redis, channel: str, address: str) -> list[outbox.Received]:
    return outbox.received(client, channel, address)


def suppressed(client: redis.Redis) -> int:
    return int(client.get(outbox.SUPPRESSED) or 0)


async def settled_adding_up(
    settings: Settings, crisis_ids: list[str], timeout_s: float = 300
) -> None:
    """Wait until the crises are settled, reading their status as `vigie status --json`
    does, as often as it can: no read may show more sent than targeted, or a sent count
    without the number of people concerned; some read must fall mid-fan-out."""
    client = make_redis(settings)
    deadline = time.monotonic() + timeout_s
    during = 0
    try:
        for crisis_id in crisis_ids:
            while True:
                view = await crisis_view(client, crisis_id)
                counters = view["counters"]
                for channel in crises.CHANNEL_NAMES:
                    sent = int(counters.get(f"sent:{channel}", 0))
                    assert not sent or int(counters.get("people", 0)) > 0, counters
                    assert sent <= int(counters.get(f"targeted:{channel}", 0)), counters
                if crises.is_settled(counters):
                    break
                during += bool(view["resolving"]) or int(counters.get("sent:sms", 0)) > 0
                assert time.monotonic() < deadline, f"not settled: {counters}"
                await asyncio.sleep(0.02)
    finally:
        await client.aclose()
    assert during, "no read fell while a crisis was under way"


async def shown_by_vigie_status(settings: Settings, crisis_id: str) -> str:
    """The crisis as `vigie status CRISIS` prints it."""
    client = make_redis(settings)
    try:
        view = await crisis_view(client, crisis_id)
    finally:
        await client.aclose()
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(render(view))
    return console.export_text()
