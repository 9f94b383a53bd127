"""`vigie publish --dry-run`: who an event would reach and each message exactly as each
channel would carry it, with what an operator should know before sending it. Reads only."""

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from schemas.crisis import Channel, CrisisEvent, Status
from services.common.config import Settings
from services.common.runtime import make_redis
from services.dispatcher.posts import PostBook
from services.resolver.preview import LARGE_AREA_KM2, Reach, reach
from services.texts.alerts import ANSWERS_MARKER, render
from services.texts.segments import sms_encoding, sms_segments

PERSONAL_LINKS = "\n[each person's own answer links]"
WHAT_STATUS_DOES = {
    Status.EXERCISE: "an exercise: it reaches only the exercise audience, every message "
    "marked EXERCICE / EXERCISE",
    Status.TEST: "a technical test: it reaches only the people flagged for tests, every "
    "message marked TEST",
    Status.DRAFT: "a draft: published as it is, it reaches NOBODY (the counts are those of "
    "the same event as Actual)",
    Status.SYSTEM: "a system message: published as it is, it reaches NOBODY (the counts are "
    "those of the same event as Actual)",
}


async def preview(settings: Settings, event: CrisisEvent, trust: str | None) -> dict[str, Any]:
    """`trust`: why the event would be refused as signed, None when ingest would take it."""
    redis = make_redis(settings)
    try:
        found = await reach(redis, event, settings.trust.approval_above_people)
        posts = await PostBook(redis).current()
    finally:
        await redis.aclose()
    counters = found.counters
    post = PostBook.info(posts, found.posts[0] if found.posts else None)
    languages = sorted(found.languages) or ["fr"]
    messages = (
        [
            _message(channel, language, event, post)
            for channel in event.channels
            for language in languages
        ]
        if event.info
        else []
    )
    return {
        "identifier": event.identifier,
        "crisis": event.crisis_id,
        "status": event.status.value,
        "msg_type": event.msg_type.value,
        "scope": event.scope.value,
        "sends": not event.is_record_only,
        "people": counters["people"],
        "unreachable": counters["unreachable"],
        "cells": counters["cells"],
        "channels": {c.value: counters[f"targeted:{c.value}"] for c in event.channels},
        "posts": {
            p: {c.value: counters[f"post:{p}:targeted:{c.value}"] for c in event.channels}
            for p in found.posts
        },
        "languages": dict(found.languages),
        "islands": found.islands,
        "reservist_candidates": found.reservists,
        "approval": found.hold_reason,
        "trust": trust,
        "messages": messages,
        "warnings": _warnings(event, found, messages, trust),
        "counters": {k: v for k, v in sorted(counters.items()) if v},
    }


def _message(channel: Channel, language: str, event: CrisisEvent, post: Any) -> dict[str, Any]:
    message = render(channel, event, language, post)
    body = message.body.replace(ANSWERS_MARKER, PERSONAL_LINKS)
    shown: dict[str, Any] = {
        "channel": channel.value,
        "language": language,
        "title": message.title,
        "body": body,
    }
    if channel is Channel.SMS:
        encoding, length = sms_encoding(body)
        shown |= {"encoding": encoding, "length": length, "segments": sms_segments(body)}
    return shown


def _warnings(
    event: CrisisEvent, found: Reach, messages: list[dict[str, Any]], trust: str | None
) -> list[str]:
    warnings = []
    if event.status in WHAT_STATUS_DOES:
        warnings.append(f"status {event.status.value}: {WHAT_STATUS_DOES[event.status]}")
    if event.is_record_only and event.status not in WHAT_STATUS_DOES:
        warnings.append(f"an {event.msg_type.value} is recorded, never sent")
    if trust:
        warnings.append(f"ingest would refuse it: {trust}")
    counters = found.counters
    targeted = sum(v for k, v in counters.items() if k.startswith("targeted:"))
    if not targeted and not found.islands and not any(found.reservists.values()):
        warnings.append("nobody would be reached")
    if not found.posts:
        warnings.append("the area lies outside every post's district")
    for message in messages:
        if message.get("segments", 1) > 1:
            warnings.append(
                f"the {message['language']} SMS takes {message['segments']} segments "
                f"({message['length']} {message['encoding']} characters)"
            )
    written = {i.language.split("-")[0] for i in event.info}
    for language, people in sorted(found.languages.items()):
        if language not in written:
            warnings.append(
                f"{people} people read {language!r}, in which the event has no text: "
                f"they get the {'French' if 'fr' in written else 'first'} text"
            )
    countries = {c for a in event.areas for c in a.countries}
    if found.area_km2 > LARGE_AREA_KM2 or len(countries) > 5:
        warnings.append(
            f"the area is much larger than usual ({found.area_km2:,.0f} km², "
            f"{len(countries)} countries named)"
        )
    if found.hold_reason:
        warnings.append(f"a second operator will have to approve it: {found.hold_reason}")
    return warnings


def shown_as_text(shown: dict[str, Any]) -> Group:
    """The preview for a terminal: warnings first, then who, then each message."""
    # Plain Text, never markup: identifiers and reasons come from the event and the keyring.
    parts: list[RenderableType] = [
        Text.assemble(
            ("DRY RUN", "bold"),
            f": {shown['identifier']} ({shown['status']} {shown['msg_type']}, scope "
            f"{shown['scope']}) was NOT published; nothing was sent or recorded.",
        )
    ]
    parts += [Text(f"! {w}", style="bold yellow") for w in shown["warnings"]]
    parts.append(
        Text(
            f"{shown['people']} people in the audience, {shown['unreachable']} without a "
            f"contact point, {shown['cells']} crisis cells; languages: "
            + (", ".join(f"{k} {v}" for k, v in sorted(shown["languages"].items())) or "-")
        )
    )
    table = Table("post", *shown["channels"], title="Per post and channel")
    for post, counts in shown["posts"].items():
        table.add_row(post, *map(str, counts.values()))
    table.add_row(Text("all", style="bold"), *map(str, shown["channels"].values()))
    parts.append(table)
    if shown["islands"]:
        islands = Table("island", "post", "leader", "deputies", title="Islands and leaders")
        for island in shown["islands"]:
            islands.add_row(
                f"{island['island']} ({island['name']})",
                island["post"],
                island["leader"],
                ", ".join(island["deputies"]) or "-",
            )
        parts.append(islands)
    for need, candidates in shown["reservist_candidates"].items():
        parts.append(Text(f"Reservist need {need}: {len(candidates)} candidates {candidates}"))
    for message in shown["messages"]:
        sms = (
            f", {message['encoding']}, {message['length']} characters, "
            f"{message['segments']} segment(s)"
            if "segments" in message
            else ""
        )
        parts.append(Text(f"{message['channel']} ({message['language']}{sms})", style="bold"))
        if message["title"]:
            parts.append(Text(message["title"], style="bold"))
        parts.append(Text(message["body"]))
    return Group(*parts)
