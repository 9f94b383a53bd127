"""Publish a crisis event file after checking it locally."""

from pathlib import Path

from faststream.kafka import KafkaBroker

from schemas.crisis import CrisisEvent
from schemas.topics import CRISIS_EVENTS
from services.common.config import Settings
from services.ingest.parse import parse_event


def check_event_file(path: Path) -> tuple[bytes, CrisisEvent]:
    """The file's bytes and the event they hold; raises InvalidEvent naming the fault."""
    raw = path.read_bytes()
    return raw, parse_event(raw)


async def publish_raw(settings: Settings, raw: bytes, key: str) -> None:
    broker = KafkaBroker(settings.kafka_bootstrap or "", acks="all", logger=None)
    await broker.connect()
    try:
        await broker.publish(raw, settings.topic(CRISIS_EVENTS), key=key.encode())
    finally:
        await broker.stop()
