"""Test helpers: run services in-process or as real processes, publish events."""

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from services.cli.publishing import publish_signed
from services.common.config import Settings
from services.common.runner import serve

SAMPLES = Path(__file__).parent.parent / "services" / "demo" / "samples"
DATA = Path(__file__).parent / "data"


@asynccontextmanager
async def running(settings: Settings, names: Iterable[str]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, list(names), stop))
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
            [sys.executable, "-m", "services.cli.main", "run", name],
            env=env,
            stdout=sink,
            stderr=sink,
        )


async def publish(settings: Settings, raw: bytes, key: str = "k") -> None:
    await publish_signed(settings, raw, key)
