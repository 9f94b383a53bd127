"""Test helpers: run services in-process or as real processes, publish events."""

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from redis.asyncio import Redis

from schemas.topics import CRISIS_EVENTS
from services.common.config import Settings
from services.common.runner import serve
from services.common.runtime import make_broker
from services.directory.importer import import_files
from services.publishing import headers_for, publish_signed
from services.registry import SERVICES
from tests.directory_data import marrakech_directory, write

SAMPLES = Path(__file__).parent.parent / "services" / "demo" / "samples"
DATA = Path(__file__).parent / "data"


@asynccontextmanager
async def running(settings: Settings, names: Iterable[str]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, {name: SERVICES[name] for name in names}, stop))
    try:
        await asyncio.sleep(0)
        yield
    finally:
        stop.set()
        await task


def service_process(
    settings: Settings, name: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`vigie run NAME` as a real process, so it can be SIGKILLed. Logs go to a file: a
    pipe nobody reads would fill and block the service."""
    env = {**os.environ, **settings.as_env()}
    log = log or Path(tempfile.gettempdir()) / f"vigie-{settings.topic_prefix}{name}.log"
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", name],
            env=env,
            stdout=sink,
            stderr=sink,
        )


async def publish(settings: Settings, raw: bytes, key: str = "k") -> None:
    await publish_signed(settings, raw, key)


async def publish_many(settings: Settings, raws: Iterable[bytes]) -> None:
    """Each signed as `publish` does, over one connection (thousands take seconds)."""
    producer = make_broker(settings, logger=None)
    await producer.connect()
    try:
        for raw in raws:
            await producer.publish(
                raw,
                settings.topic(CRISIS_EVENTS),
                key=str(hash(raw)).encode(),
                headers=headers_for(settings, raw),
            )
    finally:
        await producer.stop()


async def import_directory(settings: Settings, path: Path) -> None:
    client = Redis.from_url(settings.redis_url or "", decode_responses=True)
    try:
        report = await import_files(client, [path])
    finally:
        await client.aclose()
    assert not report.rejected, report.rejected[:3]


async def import_marrakech(settings: Settings, tmp_path: Path) -> None:
    """The small hand-made directory around the Marrakech earthquake sample."""
    rows = marrakech_directory(date.today())
    await import_directory(settings, write(tmp_path / "marrakech.geojson", rows))
