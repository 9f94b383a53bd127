"""From stored national records to recipients with channels, island and post."""

import logging
from collections import Counter

import numpy as np
from pydantic import ValidationError

from schemas.alerts import Recipient
from schemas.crisis import Channel
from services.resolver.directory_view import DirectoryView
from services.resolver.people import Person

log = logging.getLogger("vigie.resolver")


def recipients(
    people: list[Person], view: DirectoryView, channels: list[Channel], counts: Counter[str]
) -> list[Recipient]:
    """Recipients of the channels they can be reached on; counts what was targeted."""
    if not people:
        return []
    lons = np.fromiter((p["location"]["lon"] for p in people), float, len(people))
    lats = np.fromiter((p["location"]["lat"] for p in people), float, len(people))
    islands, posts = view.place(lons, lats, [p.get("country") for p in people])
    found = []
    targeted: Counter[tuple[str | None, Channel]] = Counter()
    for person, island_id, post_id in zip(people, islands, posts, strict=True):
        recipient = to_recipient(person, channels, island_id, post_id)
        if recipient is not None and recipient.channels:
            found.append(recipient)
            targeted.update((post_id, channel) for channel in recipient.channels)
    # Counted per chunk, not per person: a crisis names 100,000 people.
    counts["people"] += len(people)
    if len(found) < len(people):
        counts["unreachable"] += len(people) - len(found)
    for post_id, n in Counter(posts).items():
        counts[f"post:{post_id}:people"] += n
    for island_id, n in Counter(islands).items():
        counts[f"island:{island_id}:people"] += n
    for (post_id, channel), n in targeted.items():
        counts[f"targeted:{channel.value}"] += n
        counts[f"post:{post_id}:targeted:{channel.value}"] += n
    return found


def to_recipient(
    person: Person,
    channels: list[Channel],
    island_id: str | None = None,
    post_id: str | None = None,
) -> Recipient | None:
    """None for a record that is not a valid recipient: it is skipped, never the crisis.
    Validated as a whole by pydantic-core, which takes less than model_construct."""
    contacts = {
        "sms": person.get("sms"),
        "email": person.get("email"),
        "push": person.get("push_token"),
    }
    preferred = person.get("channels")
    usable = [
        c for c in channels if (preferred is None or c.value in preferred) and contacts[c.value]
    ]
    try:
        return Recipient.model_validate(
            {
                "person_id": person.get("id"),
                "trip_id": person.get("trip_id"),
                "language": person.get("language") or "fr",
                "post_id": post_id,
                "island_id": island_id,
                "contacts": contacts,
                "channels": usable,
            }
        )
    except ValidationError:
        log.warning(
            "skipped a directory record that is not a valid recipient: %s", person.get("id")
        )
        return None
