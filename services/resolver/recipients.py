"""From stored national records to recipients, with their channels, island and post."""

import logging
from collections import Counter
from collections.abc import Iterable

import numpy as np
from pydantic import TypeAdapter, ValidationError

from schemas.alerts import Addressee, Recipient, addressee, cell_id
from schemas.crisis import Channel
from services.places.directory_view import DirectoryView
from services.state.directory import Person, reachable
from services.state.records import CONTACT_FIELD, PostRow

log = logging.getLogger("vigie.resolver")
_ADDRESSEES = TypeAdapter(list[Addressee])


def addressees(
    people: list[Person],
    view: DirectoryView,
    channels: list[Channel],
    counts: Counter[str],
    without_contact: dict[str, str] | None = None,
) -> dict[Channel, list[Addressee]]:
    """Per channel, the people who can be reached on it; counts what was targeted. Those
    with no contact point on any channel go in `without_contact` (id -> "post|island"):
    their post's crisis cell may have to reach them otherwise."""
    found: dict[Channel, list[Addressee]] = {channel: [] for channel in channels}
    if not people:
        return found
    lons = np.fromiter((p["location"]["lon"] for p in people), float, len(people))
    lats = np.fromiter((p["location"]["lat"] for p in people), float, len(people))
    islands, posts = view.place(lons, lats, [p.get("country") for p in people])
    owners: list[tuple[int, Channel]] = []
    rows: list[dict[str, object]] = []
    for index, (person, island_id, post_id) in enumerate(zip(people, islands, posts, strict=True)):
        on = reachable(person, channels)
        if on:
            who = _who(person, island_id, post_id)
            for channel, address in on:
                owners.append((index, channel))
                rows.append({**who, "address": address})
    reached: set[int] = set()
    targeted: Counter[tuple[str | None, Channel]] = Counter()
    for (index, channel), valid in _valid(owners, rows, people):
        found[channel].append(valid)
        targeted[(posts[index], channel)] += 1
        reached.add(index)
    # Counted per chunk, not per person: a crisis names 100,000 people.
    counts["people"] += len(people)
    if len(reached) < len(people):
        counts["unreachable"] += len(people) - len(reached)
        if without_contact is not None:
            for index in set(range(len(people))) - reached:
                place = f"{posts[index] or ''}|{islands[index] or ''}"
                without_contact[str(people[index]["id"])] = place
    for post_id, n in Counter(posts).items():
        counts[f"post:{post_id}:people"] += n
    for island_id, n in Counter(islands).items():
        counts[f"island:{island_id}:people"] += n
    for (post_id, channel), n in targeted.items():
        counts[f"targeted:{channel.value}"] += n
        counts[f"post:{post_id}:targeted:{channel.value}"] += n
    return found


def post_cells(
    posts: list[PostRow], channels: list[Channel], counts: Counter[str]
) -> Iterable[tuple[Channel, list[Addressee]]]:
    """The crisis cells of these posts, on the channels they have (SMS and email); a cell
    counts once, however many channels reach it."""
    reached: set[str] = set()
    for channel in channels:
        cells = []
        for post in posts:
            address = {Channel.SMS: post.cell_sms, Channel.EMAIL: post.cell_email}.get(channel)
            if address:
                cells.append(addressee(cell_id(post.id), address, "fr", post.id))
                reached.add(post.id)
                counts[f"targeted:{channel.value}"] += 1
                counts[f"post:{post.id}:targeted:{channel.value}"] += 1
        if cells:
            yield channel, cells
    counts["cells"] += len(reached)


def _valid(
    owners: list[tuple[int, Channel]], rows: list[dict[str, object]], people: list[Person]
) -> Iterable[tuple[tuple[int, Channel], Addressee]]:
    """The rows as addressees, a chunk validated in one call (a third of the time of a
    call a row). A record that is not a valid recipient is skipped, on every channel,
    never the crisis."""
    try:
        return zip(owners, _ADDRESSEES.validate_python(rows), strict=True)
    except ValidationError as error:
        bad = {owners[int(e["loc"][0])][0] for e in error.errors()}
        for index in sorted(bad):
            log.warning(
                "skipped a directory record that is not a valid recipient: %s",
                people[index].get("id"),
            )
        kept = [i for i, (index, _) in enumerate(owners) if index not in bad]
        valid = _ADDRESSEES.validate_python([rows[i] for i in kept])
        return zip([owners[i] for i in kept], valid, strict=True)


def to_recipient(
    person: Person,
    channels: list[Channel],
    island_id: str | None = None,
    post_id: str | None = None,
) -> Recipient | None:
    """None for a record that is not a valid recipient: it is skipped, never the crisis.
    Validated as a whole by pydantic-core, which takes less than model_construct."""
    contacts = {channel.value: person.get(field) for channel, field in CONTACT_FIELD.items()}
    usable = [channel for channel, _ in reachable(person, channels)]
    try:
        return Recipient.model_validate(
            {**_who(person, island_id, post_id), "contacts": contacts, "channels": usable}
        )
    except ValidationError:
        log.warning(
            "skipped a directory record that is not a valid recipient: %s", person.get("id")
        )
        return None


def _who(person: Person, island_id: str | None, post_id: str | None) -> dict[str, object]:
    """A recipient's fields that do not depend on the channel."""
    return {
        "person_id": person.get("id"),
        "trip_id": person.get("trip_id"),
        "language": person.get("language") or "fr",
        "post_id": post_id,
        "island_id": island_id,
    }
