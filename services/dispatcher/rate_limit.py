"""A token bucket per provider in Redis, shared by every dispatcher replica and both lanes.

The rate is a promise to the provider: the bucket holds one second's worth, so in any
window it gets at most the rate's worth plus one second of burst, and a send never takes
more than that at once (the dispatcher cuts batches to the rate). Priority sends come
first: while one waits for tokens, routine sends take none. A provider that says it is
overwhelmed (HTTP 429) stops the bucket for everyone for a while.
"""

import asyncio
import time
from collections.abc import Mapping

from redis.asyncio import Redis

from schemas.crisis import Channel
from services.state import keys

# How long a priority sender's wait keeps routine ones off the bucket after it last asked:
# it asks again well within it while it waits.
PRIORITY_HOLD_MS = 500
_POLL_S = 0.1

# KEYS: the bucket, the priority lane's "waiting" flag. ARGV: rate/s, tokens wanted, now,
# whether priority. Returns seconds to wait (0: go).
_TAKE = f"""
local rate, wanted, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local priority = ARGV[4] == '1'
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused_until')
local paused_until = tonumber(state[3]) or 0
if paused_until > now then return tostring(paused_until - now) end
if not priority and redis.call('EXISTS', KEYS[2]) == 1 then return '{_POLL_S}' end
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - at) * rate)
if tokens >= wanted then
  redis.call('HSET', KEYS[1], 'tokens', tokens - wanted, 'at', now)
  redis.call('EXPIRE', KEYS[1], 3600)
  return '0'
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], 3600)
if priority then redis.call('SET', KEYS[2], '1', 'PX', {PRIORITY_HOLD_MS}) end
return tostring((wanted - tokens) / rate)
"""

# KEYS: the bucket. ARGV: until when no token is given (epoch seconds).
_PAUSE = """
local until_now = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
if tonumber(ARGV[1]) > until_now then
  redis.call('HSET', KEYS[1], 'paused_until', ARGV[1], 'tokens', 0, 'at', ARGV[1])
  redis.call('EXPIRE', KEYS[1], 3600)
end
return 0
"""


class RateLimiter:
    def __init__(self, redis: Redis, rates: Mapping[Channel, float]) -> None:
        self.redis = redis
        self.rates = rates
        self.take = redis.register_script(_TAKE)
        self.pause_script = redis.register_script(_PAUSE)

    def most_at_once(self, channel: Channel) -> int | None:
        """The largest send the provider may take at once (its rate), None if unlimited."""
        rate = self.rates.get(channel)
        return max(1, int(rate)) if rate else None

    async def acquire(self, channel: Channel, count: int, priority: bool = False) -> None:
        """Wait until the channel's provider may take `count` more messages (at most
        `most_at_once`). A routine send also waits while a priority one does."""
        rate = self.rates.get(channel)
        if not rate:
            return
        if count > max(1, int(rate)):
            raise ValueError(f"{count} {channel.value} at once is over the rate ({rate:g}/s)")
        while True:
            wait = float(
                await self.take(
                    keys=[keys.rate_bucket(channel), keys.priority_waiting(channel)],
                    args=[rate, count, time.time(), 1 if priority else 0],
                )
            )
            if wait <= 0:
                return
            # A priority sender asks again before its flag lapses.
            await asyncio.sleep(min(wait, PRIORITY_HOLD_MS / 2000 if priority else 1.0))

    async def pause(self, channel: Channel, seconds: float) -> None:
        """The provider asked us to slow down: no sender takes a token for `seconds`."""
        if self.rates.get(channel):
            await self.pause_script(keys=[keys.rate_bucket(channel)], args=[time.time() + seconds])
