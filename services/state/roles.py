"""Who was asked what in a crisis, so an SMS reply can be read as the answer it is.

Leaders, deputies and reservists are recorded when first asked; anyone else who replies
to a crisis SMS is a national answering the safety check.
"""

from pydantic import BaseModel
from redis.asyncio import Redis

from schemas.responses import Role


class Asked(BaseModel):
    role: Role
    island_id: str | None = None
    post_id: str | None = None
    need_id: str | None = None


def roles_key(crisis_id: str) -> str:
    return f"roles:{{{crisis_id}}}"


async def remember(redis: Redis, crisis_id: str, person_id: str, asked: Asked) -> None:
    await redis.hset(roles_key(crisis_id), person_id, asked.model_dump_json(exclude_none=True))


async def asked(redis: Redis, crisis_id: str, person_id: str) -> Asked:
    raw = await redis.hget(roles_key(crisis_id), person_id)
    return Asked.model_validate_json(raw) if raw else Asked(role=Role.NATIONAL)
