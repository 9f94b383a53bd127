"""Who an address a crisis reached belongs to, kept per crisis in Redis: "channel:address"
-> "person|post|island", several of them joined by ";" when people share the address (a
family's phone). The dispatcher's settle script writes it (ENTRY_LUA builds the value
inside the script); SMS replies and `vigie outbox` read it."""

from typing import NamedTuple

SEPARATOR = "|"
OWNERS = ";"  # between the owners of a shared address
# The Lua expression of an entry, from the script's person, post and island variables.
ENTRY_LUA = f"person .. '{SEPARATOR}' .. post .. '{SEPARATOR}' .. island"


class Owner(NamedTuple):
    person_id: str
    post_id: str | None
    island_id: str | None


def address_field(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def read_entry(entry: str) -> list[Owner]:
    """Everyone the address belongs to, in the order they were reached."""
    owners = []
    for one in entry.split(OWNERS):
        person_id, post_id, island_id = [*one.split(SEPARATOR), "", ""][:3]
        owners.append(Owner(person_id, post_id or None, island_id or None))
    return owners
