"""When the safety check's reminder of a crisis falls due: one durable timer per crisis,
set by the resolver when it sends the crisis's first alert, fired by the responses service."""

import time

from redis.asyncio import Redis

from services.state.timers import Timers


def timers(redis: Redis) -> Timers:
    return Timers(redis, "reminders")


async def schedule(redis: Redis, crisis_id: str, delay_s: float) -> None:
    """Once per crisis: an Update or a re-read of the alert keeps the first due time;
    `delay_s` 0 sets none."""
    if delay_s > 0:
        await timers(redis).schedule_once(crisis_id, time.time() + delay_s)
