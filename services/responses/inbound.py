"""SMS replies: which crisis and person a number answers for."""

from redis.asyncio import Redis

from schemas.responses import Role
from services.common import crises, roles
from services.common.addressbook import address_field, addressbook_key, read_entry

RECENT_CRISES = 20


async def who_replies(redis: Redis, phone: str) -> tuple[str, str, roles.Asked] | None:
    """(crisis, person, what they were asked) for the newest crisis that texted this number."""
    for found in await redis.zrevrange(crises.RECENT, 0, RECENT_CRISES - 1):
        crisis_id = str(found)
        entry = await redis.hget(addressbook_key(crisis_id), address_field("sms", phone))
        if entry is None:
            continue
        person_id, post_id, island_id = read_entry(str(entry))
        asked = await roles.asked(redis, crisis_id, person_id)
        if asked.role is Role.NATIONAL:
            asked = roles.Asked(role=Role.NATIONAL, island_id=island_id, post_id=post_id)
        return crisis_id, person_id, asked
    return None
