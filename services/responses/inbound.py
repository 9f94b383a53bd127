"""SMS replies: which crisis and person a number answers for."""

from typing import NamedTuple

from redis.asyncio import Redis

from schemas.responses import Role
from services.state import keys, roles
from services.state.addressbook import address_field, read_entry

RECENT_CRISES = 20


class Replier(NamedTuple):
    person_id: str
    asked: roles.Asked  # what they were asked to answer


async def who_replies(redis: Redis, phone: str) -> tuple[str, list[Replier]] | None:
    """The newest crisis that texted this number, and everyone it texted there (several
    people when they share the number)."""
    for found in await redis.zrevrange(keys.RECENT_CRISES, 0, RECENT_CRISES - 1):
        crisis_id = str(found)
        entry = await redis.hget(keys.addressbook(crisis_id), address_field("sms", phone))
        if entry is None:
            continue
        repliers = []
        for owner in read_entry(str(entry)):
            asked = await roles.asked(redis, crisis_id, owner.person_id)
            if asked.role is Role.NATIONAL:
                asked = roles.Asked(
                    role=Role.NATIONAL, island_id=owner.island_id, post_id=owner.post_id
                )
            repliers.append(Replier(owner.person_id, asked))
        return crisis_id, repliers
    return None
