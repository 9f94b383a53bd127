"""Single directory records by id, for the services that need one at a time."""

from redis.asyncio import Redis

from services.directory import keys
from services.directory.records import PostRow


async def post(redis: Redis, post_id: str) -> PostRow | None:
    raw = await redis.hget(keys.POSTS, post_id)
    return PostRow.model_validate_json(raw) if raw else None
