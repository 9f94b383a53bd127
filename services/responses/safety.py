"""The safety check: per crisis and per island, who answered safe, who needs help.

The latest answer stands (by the time it was given), and a repeat changes nothing: the
counters move in the same Lua step as the answer they count.
"""

import json

from redis.asyncio import Redis

from schemas.responses import Answer, PersonResponse
from services.state import keys

_APPLY = """
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then
  local sep = string.find(prev, '|', 1, true)
  local old, old_at = string.sub(prev, 1, sep - 1), tonumber(string.sub(prev, sep + 1))
  if old_at >= tonumber(ARGV[3]) then return 0 end
  redis.call('HINCRBY', KEYS[2], 'safety:' .. old, -1)
  redis.call('HINCRBY', KEYS[2], 'island:' .. ARGV[4] .. ':safety:' .. old, -1)
  redis.call('HINCRBY', KEYS[2], 'post:' .. ARGV[6] .. ':safety:' .. old, -1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('HINCRBY', KEYS[2], 'safety:' .. ARGV[2], 1)
redis.call('HINCRBY', KEYS[2], 'island:' .. ARGV[4] .. ':safety:' .. ARGV[2], 1)
redis.call('HINCRBY', KEYS[2], 'post:' .. ARGV[6] .. ':safety:' .. ARGV[2], 1)
if ARGV[2] == 'help' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
else
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1
"""


class SafetyBook:
    def __init__(self, redis: Redis) -> None:
        self.script = redis.register_script(_APPLY)

    async def record(self, response: PersonResponse, contact: str | None) -> bool:
        """False when the answer was a repeat or older than the one that stands."""
        if response.answer not in (Answer.SAFE, Answer.HELP):
            raise ValueError(f"{response.answer.value} is not a safety answer")
        crisis_id = response.crisis_id
        details = {
            "island_id": response.island_id,
            "post_id": response.post_id,
            "contact": contact,
            "at": response.at.isoformat(),
        }
        applied = await self.script(
            keys=[keys.answers(crisis_id), keys.status(crisis_id), keys.needing_help(crisis_id)],
            args=[
                response.person_id,
                response.answer.value,
                int(response.at.timestamp() * 1000),
                response.island_id or "None",
                json.dumps(details),
                response.post_id or "None",
            ],
        )
        return bool(applied)
