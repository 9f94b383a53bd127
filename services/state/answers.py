"""What people answered that the crisis centre reads: who needs help, and SMS replies that
could not be read as an answer, kept for the post to read (never guessed), the newest
first."""

import json
from datetime import UTC, datetime

from redis.asyncio import Redis

from schemas.responses import Role
from services.state import keys

KEPT = 500  # per crisis: the newest; the count goes on past it


async def record_unread(
    redis: Redis, crisis_id: str, person_id: str, role: Role, post_id: str | None, text: str
) -> None:
    entry = {
        "person_id": person_id,
        "role": role.value,
        "post_id": post_id,
        "text": text,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    pipe = redis.pipeline(transaction=True)
    pipe.lpush(keys.unread_replies(crisis_id), json.dumps(entry))
    pipe.ltrim(keys.unread_replies(crisis_id), 0, KEPT - 1)
    pipe.incr(keys.unread_count(crisis_id))
    await pipe.execute()


async def unread_replies(redis: Redis, crisis_id: str, newest: int = 20) -> dict[str, object]:
    """How many replies were not understood, and the newest of them."""
    raws = await redis.lrange(keys.unread_replies(crisis_id), 0, newest - 1)
    count = await redis.get(keys.unread_count(crisis_id))
    return {"count": int(count or 0), "newest": [json.loads(raw) for raw in raws]}


async def needing_help(redis: Redis, crisis_id: str) -> dict[str, dict[str, str | None]]:
    return {
        str(person): json.loads(raw)
        for person, raw in (await redis.hgetall(keys.needing_help(crisis_id))).items()
    }
