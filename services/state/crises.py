"""What Vigie knows of each crisis in Redis: its events, its latest text, whether cancelled."""

import json
import time

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent, MsgType, Status
from services.state import keys

# Status counters of an Alert, an Update and a Cancel's corrections are kept apart.
COUNTER_PREFIX = {MsgType.ALERT: "", MsgType.UPDATE: "update:", MsgType.CANCEL: "cancel:"}
REMINDER_PREFIX = "reminder:"  # the safety check's reminders
CANCELLED = "cancelled"
ACTIVE = "active"


# KEYS: the crisis's status. ARGV: the counters as a JSON list of [field, value]. A
# "targeted" count adds the deliveries a fallback to another channel (services/state/
# fallbacks.py) counted under the same name in "fallback" already.
_SEED = """
for _, row in ipairs(cjson.decode(ARGV[1])) do
  local field, value = row[1], row[2]
  if type(value) == 'number' then
    local plain = string.gsub(field, 'targeted:(%a+)$', 'fallback:%1')
    if plain ~= field then value = value + tonumber(redis.call('HGET', KEYS[1], plain) or 0) end
  end
  redis.call('HSET', KEYS[1], field, value)
end
"""


async def seed_counters(redis: Redis, crisis_id: str, fields: dict[str, str | int]) -> None:
    """Set the resolver's counters of an event, not add to them: a re-read of the event
    must not count people twice. Its targets include the fallbacks counted meanwhile."""
    await redis.eval(_SEED, 1, keys.status(crisis_id), json.dumps(list(fields.items())))


async def waiting(redis: Redis, crisis_id: str) -> dict[str, int]:
    """Deliveries waiting for their provider now, per channel."""
    counts: dict[str, int] = {}
    for member in await redis.zrangebyscore(keys.waiting(crisis_id), time.time(), "+inf"):
        channel, *_, count = str(member).split("|")
        counts[channel] = counts.get(channel, 0) + int(count)
    return counts


async def record_event(redis: Redis, event: CrisisEvent) -> None:
    """Keep the event; a Cancel marks the crisis cancelled at once, for every sender to see."""
    crisis_id = event.crisis_id
    pipe = redis.pipeline(transaction=True)
    pipe.hset(keys.events(crisis_id), event.identifier, event.model_dump_json())
    if event.msg_type is MsgType.CANCEL:
        pipe.hset(
            keys.crisis(crisis_id), mapping={"state": CANCELLED, "cancelled_by": event.identifier}
        )
    else:
        pipe.hsetnx(keys.crisis(crisis_id), "state", ACTIVE)
        pipe.hset(keys.crisis(crisis_id), "latest", event.identifier)
    # What the crisis is (Actual, Exercise, Test) is set by its first event, for good.
    pipe.hsetnx(keys.crisis(crisis_id), "status", event.status.value)
    await pipe.execute()
    await _recent(redis, event)


async def record_unsent(redis: Redis, event: CrisisEvent, why: str) -> None:
    """Keep an event that must reach nobody, without touching the crisis it names: a Draft
    Cancel does not cancel anything."""
    shown = {
        "msg_type": event.msg_type.value,
        "status": event.status.value,
        "sender": event.sender,
        "sent": event.sent.isoformat(),
        "why": why,
    }
    await redis.hset(keys.unsent(event.crisis_id), event.identifier, json.dumps(shown))
    await _recent(redis, event)


async def _recent(redis: Redis, event: CrisisEvent) -> None:
    """The crisis among the recent ones (apart from the crisis's own keys: another slot)."""
    await redis.zadd(keys.RECENT_CRISES, {event.crisis_id: event.sent.timestamp()}, gt=True)


async def unsent(redis: Redis, crisis_id: str) -> dict[str, dict[str, str]]:
    found = await redis.hgetall(keys.unsent(crisis_id))
    return {str(k): json.loads(v) for k, v in found.items()}


async def crisis_status(redis: Redis, crisis_id: str) -> Status | None:
    """Actual, Exercise or Test: set by the crisis's first event; None for a new crisis."""
    recorded = await redis.hget(keys.crisis(crisis_id), "status")
    return Status(str(recorded)) if recorded else None


async def note(redis: Redis, crisis_id: str, text: str) -> None:
    """Something the crisis centre must read in `vigie status` (a Cancel of nothing...)."""
    await redis.hset(keys.crisis(crisis_id), "note", text)


async def event(redis: Redis, crisis_id: str, identifier: str) -> CrisisEvent | None:
    raw = await redis.hget(keys.events(crisis_id), identifier)
    return CrisisEvent.model_validate_json(raw) if raw else None


async def latest_alert(redis: Redis, crisis_id: str) -> CrisisEvent | None:
    """The Alert or Update now in force (what a Cancel corrects)."""
    latest = await redis.hget(keys.crisis(crisis_id), "latest")
    return await event(redis, crisis_id, str(latest)) if latest else None


async def is_superseded(redis: Redis, crisis_id: str, identifier: str) -> bool:
    """Whether sends of this Alert or Update are moot: the crisis was cancelled, or a
    later Update now speaks for it (and reaches the same people with the new text)."""
    state, latest = await redis.hmget(keys.crisis(crisis_id), ["state", "latest"])
    return state == CANCELLED or (latest is not None and latest != identifier)


async def is_cancelled(redis: Redis, crisis_id: str) -> bool:
    return bool(await redis.hget(keys.crisis(crisis_id), "state") == CANCELLED)


SETTLED_OUTCOMES = ("sent", "failed", "skipped", "not_needed")
CHANNEL_NAMES = ("sms", "email", "push")


def is_settled(status: dict[str, str], prefix: str = "") -> bool:
    """Every targeted delivery of the event kind (by prefix) has an outcome."""
    return f"{prefix}resolved_at" in status and all(
        sum(int(status.get(f"{prefix}{o}:{c}", 0)) for o in SETTLED_OUTCOMES)
        >= int(status.get(f"{prefix}targeted:{c}", 0))
        for c in CHANNEL_NAMES
    )


async def status(redis: Redis, crisis_id: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (await redis.hgetall(keys.status(crisis_id))).items()}
