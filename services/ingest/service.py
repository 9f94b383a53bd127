"""The ingest consumer group: crisis.events -> crisis.accepted, or the dead-letter topic;
and a second operator's approvals, which release held events."""

import logging

from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage

from schemas.approvals import Approval
from schemas.topics import CRISIS_ACCEPTED, CRISIS_APPROVALS, CRISIS_EVENTS
from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.metrics import EVENTS
from services.common.runtime import Runtime
from services.state import keys
from services.trust import holds
from services.trust.approvals import check_approval
from services.trust.keys import KeyFileError, KeyringWatcher, TrustedKey
from services.trust.signing import Untrusted, check_fresh, verify_event

log = logging.getLogger("vigie.ingest")
STAGE = "ingest"
APPROVALS_STAGE = "approvals"


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {
        name: value.decode("ascii", errors="replace")
        for name, value in (record.headers or ())
        if value is not None
    }


def register(rt: Runtime) -> None:
    ttl_s = rt.settings.trust.dedupe_ttl_days * 86_400
    keyring = KeyringWatcher(rt.settings.trust.trusted_keys)

    def trusted_keys() -> dict[str, TrustedKey]:
        try:
            return keyring.current()
        except KeyFileError as exc:
            # A broken keyring trusts nobody: events are refused (and kept), never let in.
            log.error("keyring unusable, refusing every event: %s", exc)
            return {}

    # Bad input is dead-lettered here and never raises, so the consumer goes on.
    @rt.subscribe(CRISIS_EVENTS, STAGE)
    async def ingest(msg: KafkaMessage) -> None:
        raw: bytes = msg.body
        record: ConsumerRecord[bytes, bytes] = msg.raw_message

        async def refuse(reason: str) -> None:
            log.warning("rejected event at %s/%s: %s", record.partition, record.offset, reason)
            EVENTS.labels("rejected").inc()
            await rt.dead_letter(STAGE, reason, raw, CRISIS_EVENTS, record.partition, record.offset)

        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            await refuse(str(exc))
            return
        try:
            signer = verify_event(event, _headers(record), trusted_keys())
            check_fresh(event.sent, rt.settings.trust.max_clock_skew_s)
        except Untrusted as exc:
            await holds.reject(rt.redis, event.crisis_id, event.identifier, str(exc))
            await refuse(f"{event.identifier}: {exc}")
            return
        key = keys.seen_event(event.sender, event.identifier)
        if await rt.redis.exists(key):
            log.info("duplicate event %s from %s dropped", event.identifier, event.sender)
            EVENTS.labels("duplicate").inc()
            return
        await holds.record_signer(rt.redis, event, signer)
        # Hand on first, remember second: a crash in between re-sends (downstream is
        # idempotent) rather than losing the event.
        await rt.broker.publish(event, rt.topic(CRISIS_ACCEPTED), key=event.crisis_id.encode())
        await rt.redis.set(key, event.sent.isoformat(), ex=ttl_s)
        EVENTS.labels("accepted").inc()
        log.info(
            "accepted %s %s for crisis %s, signed by %s",
            event.msg_type.value,
            event.identifier,
            event.crisis_id,
            signer.operator,
        )

    @rt.subscribe(CRISIS_APPROVALS, APPROVALS_STAGE)
    async def approve(msg: KafkaMessage) -> None:
        raw: bytes = msg.body
        record: ConsumerRecord[bytes, bytes] = msg.raw_message
        try:
            approval = Approval.model_validate_json(raw)
            held = await check_approval(rt, approval, trusted_keys())
        except (ValueError, Untrusted) as exc:
            log.warning("refused approval at %s/%s: %s", record.partition, record.offset, exc)
            await rt.dead_letter(
                APPROVALS_STAGE, str(exc), raw, CRISIS_APPROVALS, record.partition, record.offset
            )
            return
        if held is None:
            return  # approved already: this is a repeat
        # Released to the resolver, which now finds the approval and goes ahead.
        await rt.broker.publish(
            held.event, rt.topic(CRISIS_ACCEPTED), key=held.event.crisis_id.encode()
        )
        log.info("released %s, approved by a second operator", held.event.identifier)
        EVENTS.labels("released").inc()
