"""Waiting for deliveries and reading what the local providers received."""

import asyncio
import time

import redis

from services.common import crises
from services.providers import outbox


def status(client: redis.Redis, crisis_id: str) -> dict[str, int | str]:
    raw = client.hgetall(crises.status_key(crisis_id))
    return {k: int(v) if str(v).lstrip("-").isdigit() else v for k, v in raw.items()}


async def settled(
    client: redis.Redis, crisis_id: str, prefix: str = "", timeout_s: float = 60
) -> dict[str, int | str]:
    """Wait until every targeted delivery of the crisis is sent, failed or skipped."""
    deadline = time.monotonic() + timeout_s
    while not crises.is_settled(client.hgetall(crises.status_key(crisis_id)), prefix):
        assert time.monotonic() < deadline, f"not settled: {status(client, crisis_id)}"
        await asyncio.sleep(0.2)
    return status(client, crisis_id)


def received(client: redis.Redis, channel: str, address: str) -> list[outbox.Received]:
    return outbox.received(client, channel, address)


def suppressed(client: redis.Redis) -> int:
    return int(client.get(outbox.SUPPRESSED) or 0)
