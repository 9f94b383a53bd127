"""From stored national records to recipients with channels, island and post."""

from collections import Counter

import numpy as np

from schemas.alerts import Contacts, Recipient
from schemas.crisis import Channel
from services.resolver.directory_view import DirectoryView
from services.resolver.people import Person


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
    for person, island_id, post_id in zip(people, islands, posts, strict=True):
        recipient = to_recipient(person, channels, island_id, post_id)
        counts["people"] += 1
        counts[f"post:{post_id}:people"] += 1
        counts[f"island:{island_id}:people"] += 1
        if not recipient.channels:
            counts["unreachable"] += 1
            continue
        for channel in recipient.channels:
            counts[f"targeted:{channel.value}"] += 1
            counts[f"post:{post_id}:targeted:{channel.value}"] += 1
        found.append(recipient)
    return found


def to_recipient(
    person: Person,
    channels: list[Channel],
    island_id: str | None = None,
    post_id: str | None = None,
) -> Recipient:
    contacts = Contacts(
        sms=person.get("sms"), email=person.get("email"), push=person.get("push_token")
    )
    preferred = person.get("channels")
    usable = [
        c
        for c in channels
        if (preferred is None or c.value in preferred) and contacts.for_channel(c)
    ]
    return Recipient.model_construct(
        person_id=person["id"],
        trip_id=person.get("trip_id"),
        language=person.get("language", "fr"),
        post_id=post_id,
        island_id=island_id,
        contacts=contacts,
        channels=usable,
    )
