"""`vigie relay`: a Vigie event draft made from another issuer's alert on the watch list, in
the crisis centre's own wording (French, English) with the issuer's text kept in its language,
every placeholder filled, ready for `vigie publish --dry-run` and then `vigie publish`."""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.crisis import MAX_HEADLINE, CrisisEvent
from services.cap.parse import parse_event
from services.common.config import Settings
from services.common.runtime import make_redis
from services.places.directory_view import DirectoryCache
from services.state import watch
from services.state.records import PostRow
from services.state.watch import WatchedAlert
from services.texts.drafting import TEMPLATES, DraftError, draft_event, kinds

GENERIC_KIND = "official_alert"
# The kind whose wording fits an issuer's event, by the words issuers use for it.
KIND_WORDS = {
    "earthquake": r"earthquake|s[ée]isme|tremblement|sismo|quake",
    "cyclone": r"cyclone|hurricane|typhoon|tropical storm|ouragan|typhon",
    "flood": r"flood|inondation|crue|inundaci",
    "evacuation": r"tsunami|evacuat",
    "epidemic": r"epidemic|[ée]pid[ée]mie|outbreak|pandemic",
    "shelter_in_place": r"shelter|hazmat|chemical|nuclear|radiolog|toxic",
    "unrest": r"unrest|riot|emeute|émeute|civil disturbance",
    "attack": r"attack|attentat|terror|shooter",
}
AREA_NAME_MAX = 70  # the headline holds it with the event, in 160 characters
SOURCE_LINE = {"fr": "Source : {issuer} ({event}).", "en": "Source: {issuer} ({event})."}


class RelayError(ValueError):
    """An alert that cannot be relayed; the message says why and what to do."""


@dataclass
class Relayed:
    alert: WatchedAlert
    event: CrisisEvent  # its document, read again
    posts: dict[str, PostRow]  # the directory's
    prepared: dict[str, Any] | None  # the draft its source's policy had prepared


async def watched_alert(settings: Settings, identifier: str, sender: str | None) -> Relayed:
    """The alert on the watch list, with what relaying it needs."""
    redis = make_redis(settings)
    try:
        found = [
            (alert, document)
            for alert, document in await watch.found(redis, identifier)
            if sender in (None, alert.sender)
        ]
        posts = (await DirectoryCache(redis).current()).posts
        prepared = await watch.prepared_draft(redis, found[0][0].key) if found else None
    finally:
        await redis.aclose()
    if not found:
        raise RelayError(
            f"no alert {identifier!r} on the watch list (`vigie watch` lists them; an alert "
            f"expired, cancelled or updated has left it)"
        )
    if len(found) > 1:
        senders = ", ".join(alert.sender for alert, _ in found)
        raise RelayError(f"{identifier!r} is an alert of several issuers ({senders}): add --sender")
    alert, document = found[0]
    if document is None:
        raise RelayError(f"the document of {identifier!r} is no longer kept")
    return Relayed(alert, parse_event(document), posts, json.loads(prepared) if prepared else None)


def kind_for(event: str, templates: Path = TEMPLATES) -> str:
    """The template kind matching the issuer's event, else the generic official alert."""
    known = set(kinds(templates))
    for kind, words in KIND_WORDS.items():
        if kind in known and re.search(words, event, re.IGNORECASE):
            return kind
    return GENERIC_KIND


def relay_draft(
    alert: WatchedAlert,
    event: CrisisEvent,
    posts: dict[str, PostRow],
    kind: str | None = None,
    templates: Path = TEMPLATES,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The draft: the kind's wording with its placeholders filled from the alert (area,
    issuer, event) and the directory (the emergency numbers of the posts inside), the
    alert's own area and qualifiers, and the issuer's text after ours."""
    now = now or datetime.now(UTC)
    kind = kind or kind_for(event.event, templates)
    try:
        draft = draft_event(kind, templates)
    except DraftError as exc:
        raise RelayError(str(exc)) from None
    values = {
        "area": _area_name(event),
        "post_phone": _phones(alert, posts),
        "issuer": alert.issuer,
        "event": event.event,
        "identifier": _identifier(alert, now),
    }
    ours = [_filled(info, values) for info in draft["info"]]
    for info in ours:
        info["headline"] = _cut(info["headline"], MAX_HEADLINE)
        line = SOURCE_LINE.get(info["language"], SOURCE_LINE["en"])
        info["description"] = f"{info['description']}\n\n{line.format(**values)}".strip()
    theirs = [_issuers_info(alert, event, language) for language in _languages(event)]
    if unfilled := sorted(
        {m for info in ours for v in info.values() for m in re.findall(r"\{\{(\w+)\}\}", v)}
    ):
        raise RelayError(
            f"the {kind!r} wording needs {', '.join(unfilled)}, which the alert does not tell;"
            f" choose another --kind (e.g. {GENERIC_KIND}) or fill them in by hand"
        )
    return {
        **draft,
        "identifier": values["identifier"],
        "sent": now.isoformat(timespec="seconds"),
        # The hazard is as the issuer qualifies it: its urgency decides our lane.
        "category": [c.value for c in event.category],
        "urgency": event.urgency.value,
        "severity": event.severity.value,
        "certainty": event.certainty.value,
        "info": [
            {**info, **({"expires": alert.expires.isoformat()} if alert.expires else {})}
            for info in ours + theirs
        ],
        "areas": [area.model_dump(mode="json") for area in event.areas],
    }


def _filled(info: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    def fill(text: str) -> str:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m[1], m[0]), text)

    return {name: fill(text) for name, text in info.items()}


def _area_name(event: CrisisEvent) -> str:
    """Short enough for a headline: each area's name up to its first comma, the whole cut
    at a word."""
    names = [re.split(r"[;,]", a.description)[0].strip() for a in event.areas]
    shown = " ".join(", ".join(dict.fromkeys(n for n in names if n)).split())
    return _cut(shown, AREA_NAME_MAX) or event.event


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 3].rsplit(" ", 1)[0] + "..."


def _phones(alert: WatchedAlert, posts: dict[str, PostRow]) -> str:
    """The emergency numbers of the posts inside, those with the most people first."""
    inside = [posts[p] for p in alert.posts if p in posts]
    numbers = [f"{post.emergency_phone} ({post.name})" for post in inside[:3]]
    if not numbers:
        raise RelayError(
            "no post of the directory covers this alert's area, so there is no emergency "
            "number to give; check the directory, or relay it by hand with `vigie draft`"
        )
    return ", ".join(numbers)


def _identifier(alert: WatchedAlert, now: datetime) -> str:
    tail = re.sub(r"[^A-Za-z0-9.-]+", "-", alert.identifier)[-60:].strip("-")
    return f"CDCS-relay-{now:%Y%m%dT%H%M%S}-{tail}"


def _languages(event: CrisisEvent) -> list[str]:
    return list(dict.fromkeys(info.language for info in event.info))


def _issuers_info(alert: WatchedAlert, event: CrisisEvent, language: str) -> dict[str, str]:
    """The issuer's own text in this language, as it wrote it, pointing to the source."""
    info = next(i for i in event.info if i.language == language)
    text = {
        "language": language,
        "headline": info.headline,
        "description": info.description,
        "instruction": info.instruction,
        "contact": (info.contact or alert.issuer)[:200],
    }
    web = info.web or alert.url
    return text | ({"web": web} if web else {})
