"""What the local providers received, kept in Redis so any process can read it.

Like real gateways that take a client reference, they honour an idempotency key: the same
key and recipient twice is delivered once, and the repeat is counted as suppressed.
"""

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from redis import Redis

LOG = "outbox:log"
SUPPRESSED = "outbox:suppressed"
RULES = "outbox:rules"  # address -> remaining failures ("-1": always)
KEY_TTL_S = 7 * 86_400


@dataclass(frozen=True)
class Received:
    channel: str
    to: str
    title: str
    body: str
    key: str
    at: float


def by_address(channel: str, address: str) -> str:
    return f"outbox:{channel}:{address}"


def record(
    redis: Redis, channel: str, addresses: list[str], title: str, body: str, key: str
) -> int:
    """Record one message to each address; returns how many were repeats (suppressed)."""
    fresh = addresses
    if key:
        pipe = redis.pipeline(transaction=False)
        for address in addresses:
            pipe.sadd(f"outbox:seen:{channel}:{key}", address)
        pipe.expire(f"outbox:seen:{channel}:{key}", KEY_TTL_S)
        added = pipe.execute()[:-1]
        fresh = [a for a, new in zip(addresses, added, strict=True) if new]
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for address in fresh:
        entry = json.dumps(asdict(Received(channel, address, title, body, key, now)))
        pipe.rpush(LOG, entry)
        pipe.rpush(by_address(channel, address), entry)
    suppressed = len(addresses) - len(fresh)
    if suppressed:
        pipe.incrby(SUPPRESSED, suppressed)
    pipe.execute()
    return suppressed


def should_fail(redis: Redis, addresses: list[str]) -> str | None:
    """The first address a test rule says to fail now, consuming one failure of it."""
    rules: dict[Any, Any] = redis.hgetall(RULES)
    for address in addresses:
        remaining = rules.get(address)
        if remaining is None:
            continue
        if str(remaining) == "-1":
            return address
        if int(remaining) > 0:
            redis.hincrby(RULES, address, -1)
            return address
    return None


def received(redis: Redis, channel: str, address: str) -> list[Received]:
    return [Received(**json.loads(e)) for e in redis.lrange(by_address(channel, address), 0, -1)]


def all_received(redis: Redis) -> list[Received]:
    return [Received(**json.loads(e)) for e in redis.lrange(LOG, 0, -1)]
