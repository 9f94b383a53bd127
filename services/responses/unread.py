"""SMS replies that could not be read as an answer: kept for the post to read (never
guessed), the newest first."""

import json
from datetime import UTC, datetime

from redis.asyncio import Redis

from schemas.responses import Role

KEPT = 500  # per crisis: the newest; the count goes on past it


def unread_key(crisis_id: str) -> str:
    return f"replies:{{{crisis_id}}}:unread"


def unread_count_key(crisis_id: str) -> str:
    return f"replies:{{{crisis_id}}}:unread:count"


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
    pipe.lpush(unread_key(crisis_id), json.dumps(entry))
    pipe.ltrim(unread_key(crisis_id), 0, KEPT - 1)
    pipe.incr(unread_count_key(crisis_id))
    await pipe.execute()


async def unread_replies(redis: Redis, crisis_id: str, newest: int = 20) -> dict[str, object]:
    """How many replies were not understood, and the newest of them."""
    raws = await redis.lrange(unread_key(crisis_id), 0, newest - 1)
    count = await redis.get(unread_count_key(crisis_id))
    return {"count": int(count or 0), "newest": [json.loads(raw) for raw in raws]}
