"""The watch consumer group: external.alerts -> the watch list; and the pollers that bring
each configured source's alerts onto external.alerts. Nothing here sends anything."""

import asyncio
import json
import logging
from datetime import UTC, datetime

import httpx
from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage
from redis.asyncio import Redis

from schemas.crisis import CrisisEvent, MsgType, Severity, Status
from schemas.topics import EXTERNAL_ALERTS
from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.config.concerns import WatchSource
from services.common.metrics import WATCH_ALERTS_SEEN
from services.common.runtime import Runtime
from services.places.directory_view import DirectoryCache
from services.state import watch
from services.state.watch import WatchedAlert, alert_key
from services.texts.drafting import DraftError
from services.watch.matching import expires_of, matched
from services.watch.poller import SourcePoller
from services.watch.relaying import RelayError, relay_draft

log = logging.getLogger("vigie.watch")
STAGE = "watch"
SOURCE_HEADER = "vigie-source"
URL_HEADER = "vigie-url"
PUSHED = "bus"  # the source of alerts other systems publish on external.alerts themselves
SEVERITY_RANK = {
    Severity.UNKNOWN: 0,
    Severity.MINOR: 1,
    Severity.MODERATE: 2,
    Severity.SEVERE: 3,
    Severity.EXTREME: 4,
}


def register(rt: Runtime) -> None:
    directory = DirectoryCache(rt.redis)

    @rt.subscribe(EXTERNAL_ALERTS, STAGE)
    async def take_in(msg: KafkaMessage) -> None:
        raw: bytes = msg.body
        record: ConsumerRecord[bytes, bytes] = msg.raw_message
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or () if v}
        source, url = headers.get(SOURCE_HEADER, PUSHED), headers.get(URL_HEADER)
        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            WATCH_ALERTS_SEEN.labels(source, "refused").inc()
            reason = f"watch source {source}: {url or 'pushed'}: {exc}"
            log.warning("refused external alert: %s", reason)
            await rt.dead_letter(
                STAGE, reason, raw, EXTERNAL_ALERTS, record.partition, record.offset
            )
            return
        policy = next((s for s in rt.settings.watch.sources if s.name == source), None)
        outcome = await watched(rt.redis, directory, event, raw, source, url, policy)
        WATCH_ALERTS_SEEN.labels(source, outcome).inc()
        log.info(
            "external alert %s of %s from %s: %s", event.identifier, event.sender, source, outcome
        )

    async def hand_over(document: bytes, source: str, url: str) -> None:
        await rt.broker.publish(
            document,
            rt.topic(EXTERNAL_ALERTS),
            key=source.encode(),
            headers={SOURCE_HEADER: source, URL_HEADER: url},
        )

    async def poll_sources() -> None:
        settings = rt.settings.watch
        if not settings.sources:
            return
        async with httpx.AsyncClient(follow_redirects=True, max_redirects=5) as client:
            pollers = [
                SourcePoller(rt.redis, client, source, settings, hand_over)
                for source in settings.sources
            ]
            await asyncio.gather(*(poller.run() for poller in pollers))

    rt.background.append(poll_sources)


async def watched(
    redis: Redis,
    directory: DirectoryCache,
    event: CrisisEvent,
    raw: bytes,
    source: str,
    url: str | None,
    policy: WatchSource | None = None,
) -> str:
    """What the alert does to the watch list: listed, ended (a Cancel), or nothing."""
    key = alert_key(event.sender, event.identifier)
    if event.status is not Status.ACTUAL:
        return f"not listed ({event.status.value})"  # another issuer's drill or test
    if event.msg_type in (MsgType.ACK, MsgType.ERROR):
        return f"not listed ({event.msg_type.value})"
    if await watch.is_known(redis, key):
        return "repeat"
    replaced = [alert_key(r.sender, r.identifier) for r in event.references]
    if event.msg_type is MsgType.CANCEL:
        for old in replaced:
            await watch.end(redis, old)
        await watch.end(redis, key)  # its repeats are known as such
        return "ended"
    expires = expires_of(event)
    if expires is not None and expires <= datetime.now(UTC):
        return "expired"  # before the directory is searched: a country's alert costs seconds
    alert = await matched(redis, directory, event, source, url)
    if event.msg_type is MsgType.UPDATE:
        alert.replaces = replaced
    draft = await _prepared(directory, alert, event, policy)
    # Listed first, then the alerts it updates end: a crash in between leaves both shown
    # for a moment rather than neither.
    await watch.record(redis, alert, raw)
    if draft is not None:
        await watch.save_draft(redis, alert, draft)
    for old in replaced:
        await watch.end(redis, old)
    return "listed"


async def _prepared(
    directory: DirectoryCache,
    alert: WatchedAlert,
    event: CrisisEvent,
    policy: WatchSource | None,
) -> str | None:
    """The draft the source's policy asks for (flagged on the alert), or None."""
    if policy is None or policy.draft_severity is None:
        return None
    if SEVERITY_RANK[event.severity] < SEVERITY_RANK[policy.draft_severity]:
        return None
    if alert.people < policy.draft_min_people:
        return None
    try:
        draft = relay_draft(alert, event, (await directory.current()).posts)
    except (RelayError, DraftError) as exc:
        alert.draft = f"not prepared: {exc}"
        return None
    alert.draft = "ready"
    log.warning(
        "external alert %s (%s, %d of our people): a draft is ready, `vigie relay %s`",
        alert.identifier,
        event.severity.value,
        alert.people,
        alert.identifier,
    )
    return json.dumps(draft, indent=2, ensure_ascii=False) + "\n"
