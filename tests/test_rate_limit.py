"""The provider's rate, shared in Redis: never more than a second's worth at once, priority
sends first, and a provider's "too many requests" slows everyone."""

import asyncio
import time

import redis
from redis.asyncio import Redis

from schemas.crisis import Channel
from services.common.config import Settings
from services.common.runtime import make_redis
from services.dispatcher.rate_limit import RateLimiter

RATE = 200.0


def _most_in_any_window(times: list[tuple[float, int]], window_s: float) -> int:
    times = sorted(times)
    most, start, inside = 0, 0, 0
    for at, count in times:
        inside += count
        while times[start][0] < at - window_s:
            inside -= times[start][1]
            start += 1
        most = max(most, inside)
    return most


async def _limiter(settings: Settings) -> tuple[Redis, RateLimiter]:
    client = make_redis(settings)
    return client, RateLimiter(client, {Channel.SMS: RATE})


async def test_big_batches_are_taken_at_the_rate_never_all_at_once(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """Batches of 1,000 against 200/s once went out whole: 576 over the limit in 3 s."""
    client, limiter = await _limiter(settings)
    taken: list[tuple[float, int]] = []

    async def sender() -> None:
        for _ in range(2):
            part = limiter.most_at_once(Channel.SMS) or 0
            await limiter.acquire(Channel.SMS, part)
            taken.append((time.time(), part))

    try:
        assert limiter.most_at_once(Channel.SMS) == RATE
        await asyncio.gather(sender(), sender(), sender())
    finally:
        await client.aclose()
    # The bucket promises rate x window + one second's burst; one part of slack for the
    # time between a token's grant and this test's reading of the clock.
    assert _most_in_any_window(taken, 3.0) <= RATE * 3 + RATE + RATE


async def test_routine_sends_yield_while_a_priority_send_waits(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client, limiter = await _limiter(settings)
    routine: list[float] = []
    stop = asyncio.Event()

    async def routine_sender() -> None:
        while not stop.is_set():
            await limiter.acquire(Channel.SMS, 50)
            routine.append(time.time())

    try:
        background = asyncio.create_task(routine_sender())
        await asyncio.sleep(1.5)  # routine has the bucket to itself
        priority_from = time.time()
        for _ in range(3):  # 600 messages at 200/s
            await limiter.acquire(Channel.SMS, 200, priority=True)
        priority_to = time.time()
        await asyncio.sleep(2.0)  # the priority flag lapses (0.5 s), then tokens come back
        stop.set()
        await background
    finally:
        await client.aclose()
    during = [at for at in routine if priority_from < at < priority_to]
    after = [at for at in routine if at > priority_to]
    # One routine part may have been granted as the priority sender first asked.
    assert len(during) <= 1, f"{len(during)} routine parts went while priority waited"
    assert after, "routine sends resume once the priority ones are done"


async def test_a_provider_asking_to_slow_down_stops_every_sender_for_a_while(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client, limiter = await _limiter(settings)
    other = RateLimiter(client, {Channel.SMS: RATE})  # another replica
    try:
        await limiter.pause(Channel.SMS, 1.0)
        paused_until = time.time() + 0.9
        await other.acquire(Channel.SMS, 1, priority=True)
        assert time.time() >= paused_until
    finally:
        await client.aclose()
