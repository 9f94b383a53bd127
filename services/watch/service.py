"""The watch consumer group: external.alerts -> the watch list; and the pollers that bring
each configured source's alerts onto external.alerts. Nothing here sends anything."""

import asyncio
import logging

import httpx
from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage
from redis.asyncio import Redis

from schemas.crisis import CrisisEvent, MsgType, Status
from schemas.topics import EXTERNAL_ALERTS
from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.metrics import WATCH_ALERTS_SEEN
from services.common.runtime import Runtime
from services.places.directory_view import DirectoryCache
from services.state import watch
from services.state.watch import alert_key
from services.watch.matching import matched
from services.watch.poller import SourcePoller

log = logging.getLogger("vigie.watch")
STAGE = "watch"
SOURCE_HEADER = "vigie-source"
URL_HEADER = "vigie-url"
PUSHED = "bus"  # the source of alerts other systems publish on external.alerts themselves


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
        outcome = await watched(rt.redis, directory, event, raw, source, url)
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
    alert = await matched(redis, directory, event, source, url)
    if alert.expired(alert.seen_at):
        return "expired"
    if event.msg_type is MsgType.UPDATE:
        alert.replaces = replaced
    # Listed first, then the alerts it updates end: a crash in between leaves both shown
    # for a moment rather than neither.
    await watch.record(redis, alert, raw)
    for old in replaced:
        await watch.end(redis, old)
    return "listed"
