"""SMS replies: which crisis and person a number answers for, and what its words mean."""

import unicodedata

from redis.asyncio import Redis

from schemas.responses import Answer, Role
from services.common import crises, roles
from services.common.addressbook import address_field, addressbook_key, read_entry

RECENT_CRISES = 20

KEYWORDS: dict[Role, dict[str, Answer]] = {
    Role.NATIONAL: {
        word: answer
        for words, answer in (
            (("SAFE", "OK", "SECURITE", "EN SECURITE", "SAUF", "OUI", "YES"), Answer.SAFE),
            (("HELP", "AIDE", "SOS", "NON", "NO"), Answer.HELP),
        )
        for word in words
    },
    Role.LEADER: {word: Answer.ACK for word in ("OUI", "YES", "OK", "ACK", "RECU", "CONFIRME")},
    Role.RESERVIST: {
        word: answer
        for words, answer in (
            (("OUI", "YES", "ACCEPT", "ACCEPTE", "J'ACCEPTE"), Answer.ACCEPT),
            (("NON", "NO", "DECLINE", "REFUSE", "INDISPONIBLE"), Answer.DECLINE),
        )
        for word in words
    },
}


class NotUnderstood(ValueError):
    pass


def read_reply(role: Role, text: str) -> Answer:
    """The answer a reply gives, from its first words; accents and case do not matter."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    words = " ".join(plain.replace(".", " ").replace("!", " ").split())
    for candidate in (words, " ".join(words.split()[:2]), " ".join(words.split()[:1])):
        if candidate in KEYWORDS[role]:
            return KEYWORDS[role][candidate]
    expected = ", ".join(sorted({w for w in KEYWORDS[role] if " " not in w})[:6])
    raise NotUnderstood(f"reply not understood for a {role.value}; expected one of {expected}")


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
