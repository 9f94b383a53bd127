"""Which nationals an alert failed to on every channel it went to, taken once each for a
try on the other channels they have."""

from collections.abc import Mapping
from typing import cast

from redis.asyncio import Redis
from redis.typing import EncodableT

from schemas.crisis import Channel
from schemas.delivery import Outcome
from services.common import compact_json
from services.state import keys

CHANNELS = list(Channel)
TAKEN, HANDED_ON = "1", "handed"  # a person's fallback of an event: its jobs being made, made

# KEYS: the event's deliveries on each channel (in CHANNELS' order), the fallbacks taken,
# the crisis's status. ARGV: the event, the counters' prefix, the people as a JSON list of
# [person, post, the channels the event went to them on, the others they have an address
# on] (channels as indexes in CHANNELS), the channel failing them now (0: none), then
# CHANNELS' names. Per person, the channels to try them on: none unless every channel the
# event went to them on failed (one still in hand, not yet claimed or that reached them
# says no) and their fallback was not handed on yet. Counted as targeted once, when first
# taken: a dispatcher that dies between taking and handing on leaves it taken, and the
# one that takes up the failing delivery again hands it on (a second copy of the jobs is
# sent once: each delivery is claimed).
_TAKE = f"""
local event, prefix, status = ARGV[1], ARGV[2], KEYS[{len(CHANNELS) + 2}]
local failing = tonumber(ARGV[4])
local found = {{}}
for i, row in ipairs(cjson.decode(ARGV[3])) do
  local person, post, tried, others = row[1], row[2], row[3], row[4]
  local all_failed = true
  for _, c in ipairs(tried) do
    local state = redis.call('HGET', KEYS[c], person)
    local in_hand = c == failing and state and string.sub(state, 1, 8) == 'sending:'
    if state ~= '{Outcome.FAILED.value}' and not in_hand then all_failed = false end
  end
  found[i] = {{}}
  local field = event .. '|' .. person
  local taken = redis.call('HGET', KEYS[{len(CHANNELS) + 1}], field)
  if all_failed and #others > 0 and taken ~= '{HANDED_ON}' then
    found[i] = others
  end
  if all_failed and #others > 0 and not taken then
    redis.call('HSET', KEYS[{len(CHANNELS) + 1}], field, '{TAKEN}')
    for _, c in ipairs(others) do
      local channel = ARGV[4 + c]
      redis.call('HINCRBY', status, prefix .. 'targeted:' .. channel, 1)
      redis.call('HINCRBY', status, prefix .. 'post:' .. post .. ':targeted:' .. channel, 1)
      redis.call('HINCRBY', status, prefix .. 'fallback:' .. channel, 1)
      redis.call('HINCRBY', status, prefix .. 'post:' .. post .. ':fallback:' .. channel, 1)
    end
  end
end
return found
"""


async def take(
    redis: Redis,
    crisis_id: str,
    event_id: str,
    prefix: str,
    people: list[tuple[str, str | None, list[Channel], list[Channel]]],
    failing: Channel | None,
) -> dict[str, list[Channel]]:
    """`people`: (person, post, the channels the event went to them on, the other channels
    they have an address on), whose delivery of the event fails on `failing` (about to be
    settled so) or failed. Those that every channel it went to failed, with their other
    channels: taken, and counted as targeted, once per person and event."""
    if not people:
        return {}
    script = redis.register_script(_TAKE)
    rows = [
        [
            person,
            str(post),
            [CHANNELS.index(c) + 1 for c in tried],
            [CHANNELS.index(c) + 1 for c in others],
        ]
        for person, post, tried, others in people
    ]
    found = await script(
        keys=[
            *(keys.deliveries(crisis_id, event_id, channel) for channel in CHANNELS),
            keys.fallbacks(crisis_id),
            keys.status(crisis_id),
        ],
        args=[
            event_id,
            prefix,
            compact_json.dumps(rows),
            CHANNELS.index(failing) + 1 if failing else 0,
            *(c.value for c in CHANNELS),
        ],
    )
    return {
        person: [CHANNELS[int(c) - 1] for c in untried]
        for (person, *_), untried in zip(people, found, strict=True)
        if untried
    }


async def handed_on(redis: Redis, crisis_id: str, event_id: str, people: list[str]) -> None:
    """Their fallback jobs are on the bus: the fallback is not handed on again."""
    if people:
        fields = {f"{event_id}|{person}": HANDED_ON for person in people}
        await redis.hset(
            keys.fallbacks(crisis_id), mapping=cast(Mapping[EncodableT, EncodableT], fields)
        )
