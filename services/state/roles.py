"""Who was asked what in a crisis, so an SMS reply can be read as the answer it is.

Leaders, deputies and reservists are recorded when first asked; anyone else who replies
to a crisis SMS is a national answering the safety check.
"""

from pydantic import BaseModel
from redis.asyncio import Redis

from schemas.responses import Role
from services.state import keys


class Asked(BaseModel):
    role: Role
    island_id: str | None = None
    post_id: str | None = None
    need_id: str | None = None


async def remember(redis: Redis, crisis_id: str, person_id: str, asked: Asked) -> None:
    await redis.hset(keys.roles(crisis_id), person_id, asked.model_dump_json(exclude_none=True))


async def asked(redis: Redis, crisis_id: str, person_id: str) -> Asked:
    raw = await redis.hget(keys.roles(crisis_id), person_id)
    return Asked.model_validate_json(raw) if raw else Asked(role=Role.NATIONAL)
