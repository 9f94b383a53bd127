"""Signing and publishing crisis events and approvals, for the CLI, the demo, the tests and
the benchmarks: an event file is checked locally first, then signed by the operator's key."""

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker

from schemas.approvals import Approval
from schemas.crisis import CrisisEvent
from schemas.topics import CRISIS_APPROVALS, CRISIS_EVENTS
from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.bus_refusal import REFUSALS, refusal, sign_in_refusal
from services.common.config import Settings
from services.common.runtime import make_broker, make_redis
from services.trust import holds
from services.trust.keys import KeyFileError, KeyringWatcher, load_private
from services.trust.signing import Untrusted, check_fresh, sign_event, verify_event


def check_event_file(path: Path, restamp: bool = False) -> tuple[bytes, CrisisEvent]:
    """The bytes to publish and the event they hold; raises InvalidEvent naming the fault.
    Restamped, the event is sent now (samples and drills), and published as JSON."""
    raw = path.read_bytes()
    event = parse_event(raw)
    if restamp:
        event = event.model_copy(update={"sent": datetime.now(UTC)})
        raw = event.model_dump_json().encode()
    return raw, event


def trust_problem(event: CrisisEvent, key_file: Path | None, settings: Settings) -> str | None:
    """Why ingest would refuse this event signed with this key (default: the configured
    signing key); None when it would take it."""
    key_file = key_file or settings.trust.signing_key
    if key_file is None:
        return "unsigned: pass --key FILE (from `vigie keys generate`) or set VIGIE_SIGNING_KEY"
    try:
        headers = sign_event(event, load_private(key_file))
        verify_event(event, headers, KeyringWatcher(settings.trust.trusted_keys).current())
        check_fresh(event.sent, settings.trust.max_clock_skew_s)
    except (KeyFileError, Untrusted) as exc:
        return str(exc)
    return None


def signed_headers(raw: bytes, key_file: Path) -> dict[str, str]:
    return sign_event(parse_event(raw), load_private(key_file))


async def held_event(settings: Settings, identifier: str) -> holds.Hold | None:
    redis = make_redis(settings)
    try:
        crisis_id = await holds.crisis_of_held(redis, identifier)
        return await holds.get_hold(redis, crisis_id, identifier) if crisis_id else None
    finally:
        await redis.aclose()


async def publish_raw(
    settings: Settings, raw: bytes, key: str, headers: dict[str, str] | None = None
) -> None:
    async with _producer(settings) as broker:
        await broker.publish(
            raw, settings.bus.topic(CRISIS_EVENTS), key=key.encode(), headers=headers or {}
        )


def headers_for(settings: Settings, raw: bytes) -> dict[str, str]:
    """Signed with the settings' signing key. Bytes that hold no event go as they are:
    ingest refuses them, with the reason."""
    if settings.trust.signing_key is not None:
        with contextlib.suppress(InvalidEvent):
            return signed_headers(raw, settings.trust.signing_key)
    return {}


async def publish_signed(settings: Settings, raw: bytes, key: str) -> None:
    await publish_raw(settings, raw, key, headers_for(settings, raw))


async def publish_approval(settings: Settings, approval: Approval) -> None:
    async with _producer(settings) as broker:
        await broker.publish(
            approval, settings.bus.topic(CRISIS_APPROVALS), key=approval.crisis_id.encode()
        )


class PublishRefused(RuntimeError):
    """Kafka would not take what the operator published; the message says why."""


@asynccontextmanager
async def _producer(settings: Settings) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(settings, logger=None)
    try:
        await broker.connect()
        yield broker
    except REFUSALS as exc:
        raise PublishRefused(refusal(settings, exc)) from None
    except KafkaConnectionError as exc:
        reason = await sign_in_refusal(settings)
        raise PublishRefused(
            reason or f"Kafka unreachable at {settings.bus.kafka_bootstrap}"
        ) from exc
    finally:
        await broker.stop()
