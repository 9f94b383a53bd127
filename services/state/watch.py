"""The watch list: other issuers' official alerts in force, each with the people of ours
inside it, and the health of the sources they come from. Written by the watch service, read
by `vigie watch`, `vigie relay` and the crisis page."""

import base64
import time
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from services.state import keys

ENDED_KEPT_S = 30 * 86_400  # an alert cancelled or replaced this long ago may come back
FETCHED_KEPT_S = 7 * 86_400


class WatchedAlert(BaseModel):
    sender: str
    identifier: str
    sent: datetime
    source: str  # the feed's name, or "bus" for alerts other systems pushed
    url: str | None = None  # where the CAP document was fetched
    issuer: str  # the sender's name as the document gives it
    msg_type: str
    event: str
    headline: str
    language: str
    severity: str
    urgency: str
    certainty: str
    expires: datetime | None = None
    area: str  # the areas' descriptions
    people: int = 0  # nationals, at home or on an active trip, inside
    # No polygon or circle: counted by the countries or regions its codes name, so a
    # county's warning may count a whole country.
    by_code: bool = False
    posts: dict[str, int] = Field(default_factory=dict)  # post -> people inside
    islands: list[str] = Field(default_factory=list)
    replaces: list[str] = Field(default_factory=list)  # the alerts it updated
    # Its source's policy asked for a draft: "ready" (`vigie relay` gives it), or why not.
    draft: str | None = None
    seen_at: datetime

    @property
    def key(self) -> str:
        return alert_key(self.sender, self.identifier)

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now


class SourceHealth(BaseModel):
    name: str
    url: str
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None  # why it did not answer, while it does not
    last_refused: str | None = None  # the last document it listed that could not be taken
    errors_in_a_row: int = 0
    errors: int = 0
    alerts_seen: int = 0
    etag: str | None = None
    last_modified: str | None = None


def alert_key(sender: str, identifier: str) -> str:
    """CAP identifies an alert by its sender and identifier, neither of which holds a space."""
    return f"{sender} {identifier}"


async def is_known(redis: Redis, key: str) -> bool:
    """Listed already, or cancelled or replaced: a repeat changes nothing."""
    listed, ended = (
        await redis.hexists(keys.WATCH_ALERTS, key),
        await redis.zscore(keys.WATCH_ENDED, key),
    )
    return bool(listed) or ended is not None


async def record(redis: Redis, alert: WatchedAlert, document: bytes) -> None:
    """List the alert, with its document kept while it is in force."""
    expires = alert.expires.timestamp() if alert.expires else time.time() + 7 * 86_400
    kept_s = max(int(expires - time.time()), 60) + 86_400
    # Kept as base64: clients decode what Redis returns as UTF-8, and issuers write in
    # other encodings too (ISO-8859-1).
    encoded = base64.b64encode(document).decode("ascii")
    await redis.set(keys.watch_document(alert.key), encoded, ex=kept_s)
    await redis.hset(keys.WATCH_ALERTS, alert.key, alert.model_dump_json())


async def save_draft(redis: Redis, alert: WatchedAlert, draft: str) -> None:
    """A draft of ours prepared for the alert, kept while it is listed."""
    ttl = await redis.ttl(keys.watch_document(alert.key))
    await redis.set(keys.watch_draft(alert.key), draft, ex=max(int(ttl), 60))


async def prepared_draft(redis: Redis, key: str) -> str | None:
    found = await redis.get(keys.watch_draft(key))
    return str(found) if found is not None else None


async def end(redis: Redis, key: str) -> bool:
    """An alert cancelled or replaced leaves the list for good; True if it was on it."""
    now = time.time()
    await redis.zadd(keys.WATCH_ENDED, {key: now})
    await redis.zremrangebyscore(keys.WATCH_ENDED, 0, now - ENDED_KEPT_S)
    await redis.delete(keys.watch_document(key), keys.watch_draft(key))
    return bool(await redis.hdel(keys.WATCH_ALERTS, key))


async def listed(redis: Redis, now: datetime | None = None) -> list[WatchedAlert]:
    """The alerts in force, newest first and, of those sent together, most people first.
    Expired ones leave the list as they are read."""
    now = now or datetime.now(UTC)
    alerts = [
        WatchedAlert.model_validate_json(raw)
        for raw in (await redis.hgetall(keys.WATCH_ALERTS)).values()
    ]
    expired = [a.key for a in alerts if a.expired(now)]
    if expired:
        await redis.hdel(keys.WATCH_ALERTS, *expired)
    shown = [a for a in alerts if not a.expired(now)]
    return sorted(shown, key=lambda a: (a.sent, a.people), reverse=True)


async def found(redis: Redis, identifier: str) -> list[tuple[WatchedAlert, bytes | None]]:
    """The listed alerts of this identifier (of any sender), each with its document."""
    matches = [a for a in await listed(redis) if identifier in (a.identifier, a.key)]
    return [(alert, await document(redis, alert.key)) for alert in matches]


async def document(redis: Redis, key: str) -> bytes | None:
    """A listed alert's CAP document, as its issuer wrote it."""
    encoded = await redis.get(keys.watch_document(key))
    return base64.b64decode(encoded) if encoded else None


async def sources(redis: Redis) -> dict[str, SourceHealth]:
    raw = await redis.hgetall(keys.WATCH_SOURCES)
    health = (SourceHealth.model_validate_json(v) for v in raw.values())
    return {h.name: h for h in health}


async def source(redis: Redis, name: str, url: str) -> SourceHealth:
    raw = await redis.hget(keys.WATCH_SOURCES, name)
    health = SourceHealth.model_validate_json(raw) if raw else SourceHealth(name=name, url=url)
    return health.model_copy(update={"url": url})


async def save_source(redis: Redis, health: SourceHealth) -> None:
    await redis.hset(keys.WATCH_SOURCES, health.name, health.model_dump_json())


async def take_poll(redis: Redis, name: str, interval_s: float) -> bool:
    """One replica polls a source per interval; the others skip it."""
    return bool(await redis.set(keys.watch_poll(name), "1", nx=True, px=int(interval_s * 1000)))


async def unfetched(redis: Redis, name: str, urls: list[str]) -> list[str]:
    """Of the documents a feed lists, those not fetched yet: a CAP document never changes
    (a change is a new one, an Update), so each is fetched once."""
    if not urls:
        return []
    scores = await redis.zmscore(keys.watch_fetched(name), urls)
    return [url for url, score in zip(urls, scores, strict=True) if score is None]


async def mark_fetched(redis: Redis, name: str, url: str) -> None:
    now = time.time()
    await redis.zadd(keys.watch_fetched(name), {url: now})
    await redis.zremrangebyscore(keys.watch_fetched(name), 0, now - FETCHED_KEPT_S)
