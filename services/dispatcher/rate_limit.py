"""A token bucket per provider in Redis, shared by every dispatcher replica."""

import asyncio
import time
from collections.abc import Mapping

from redis.asyncio import Redis

from schemas.crisis import Channel

# KEYS[1] bucket; ARGV rate/s, capacity, tokens wanted, now. Returns seconds to wait (0: go).
_TAKE = """
local rate, capacity, wanted, now = tonumber(ARGV[1]), tonumber(ARGV[2]),
                                    tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
if tokens >= wanted then
  redis.call('HSET', KEYS[1], 'tokens', tokens - wanted, 'at', now)
  redis.call('EXPIRE', KEYS[1], 3600)
  return '0'
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
return tostring((wanted - tokens) / rate)
"""


class RateLimiter:
    def __init__(self, redis: Redis, rates: Mapping[Channel, float]) -> None:
        self.redis = redis
        self.rates = rates
        self.take = redis.register_script(_TAKE)

    async def acquire(self, channel: Channel, count: int) -> None:
        """Wait until the channel's provider may take `count` more messages."""
        rate = self.rates.get(channel)
        if not rate:
            return
        capacity = max(rate, count)
        while True:
            wait = float(
                await self.take(
                    keys=[f"ratelimit:{{{channel.value}}}"],
                    args=[rate, capacity, count, time.time()],
                )
            )
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, 1.0))
