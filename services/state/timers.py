"""Durable timers in a Redis sorted set, shared by every replica of a service.

A due timer is claimed by pushing it a lease into the future: if the replica that claimed
it dies, it falls due again once the lease runs out, so no timer is lost to a crash or a
restart. The handler decides what comes next: a new due time, or None when it is over.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.state import keys

log = logging.getLogger("vigie.timers")

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), member)
end
return due
"""

Handler = Callable[[str], Awaitable[float | None]]


class Timers:
    def __init__(self, redis: Redis, name: str, lease_s: float = 30.0) -> None:
        self.redis = redis
        self.key = keys.timers(name)
        self.lease_s = lease_s
        self.claim_script = redis.register_script(_CLAIM)

    async def schedule(self, member: str, due: float) -> None:
        await self.redis.zadd(self.key, {member: due})

    async def schedule_once(self, member: str, due: float) -> None:
        """Schedule unless already scheduled: a redelivered message keeps the first timer."""
        await self.redis.zadd(self.key, {member: due}, nx=True)

    async def claim_due(self, limit: int = 100) -> list[str]:
        due = await self.claim_script(keys=[self.key], args=[time.time(), self.lease_s, limit])
        return [str(m) for m in due]

    async def finish(self, member: str, next_due: float | None) -> None:
        if next_due is None:
            await self.redis.zrem(self.key, member)
        else:
            await self.schedule(member, next_due)

    async def run(self, handler: Handler, poll_s: float) -> None:
        """Fire due timers until cancelled; one failing timer is retried after its lease."""
        this = asyncio.current_task()
        while True:
            try:
                due = await self.claim_due()
            except RedisError as exc:  # Redis restarting: the timers wait, none is lost
                log.warning("timers %s cannot reach Redis (%s); retrying", self.key, exc)
                due = []
            for member in due:
                try:
                    await self.finish(member, await handler(member))
                except Exception:
                    log.exception("timer %s failed; retried in %.0f s", member, self.lease_s)
            # redis-py can absorb a cancellation that lands mid-command: look for it here.
            if this is not None and this.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(poll_s)
