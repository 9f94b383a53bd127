"""The ingest consumer group: crisis.events -> crisis.accepted, or the dead-letter topic."""

import logging

from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage

from schemas.crisis import CrisisEvent
from schemas.topics import CRISIS_ACCEPTED, CRISIS_EVENTS
from services.common.runtime import Runtime
from services.ingest.errors import InvalidEvent
from services.ingest.parse import parse_event

log = logging.getLogger("vigie.ingest")
STAGE = "ingest"


def seen_key(event: CrisisEvent) -> str:
    return f"ingest:seen:{event.sender}:{event.identifier}"


def register(rt: Runtime) -> None:
    ttl_s = rt.settings.dedupe_ttl_days * 86_400

    # Bad input is dead-lettered here and never raises, so the consumer goes on.
    @rt.subscribe(CRISIS_EVENTS, STAGE)
    async def ingest(msg: KafkaMessage) -> None:
        raw: bytes = msg.body
        record: ConsumerRecord[bytes, bytes] = msg.raw_message
        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            log.warning("rejected event at %s/%s: %s", record.partition, record.offset, exc)
            await rt.dead_letter(
                STAGE, str(exc), raw, CRISIS_EVENTS, record.partition, record.offset
            )
            return
        key = seen_key(event)
        if await rt.redis.exists(key):
            log.info("duplicate event %s from %s dropped", event.identifier, event.sender)
            return
        # Hand on first, remember second: a crash in between re-sends (downstream is
        # idempotent) rather than losing the event.
        await rt.broker.publish(event, rt.topic(CRISIS_ACCEPTED), key=event.crisis_id.encode())
        await rt.redis.set(key, event.sent.isoformat(), ex=ttl_s)
        log.info(
            "accepted %s %s for crisis %s", event.msg_type.value, event.identifier, event.crisis_id
        )
