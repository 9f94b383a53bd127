"""Test helpers: run services in-process or as real processes, publish events."""

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import cast

import redis
from redis.asyncio import Redis, RedisCluster

from schemas.topics import CRISIS_EVENTS
from services.common.config import Settings
from services.common.runner import serve
from services.common.runtime import make_broker
from services.directory.importer import import_files
from services.publishing import headers_for, publish_signed
from services.registry import SERVICES
from tests.directory_data import marrakech_directory, write

# Every service a crisis goes through (the watch aside).
WHOLE_PIPELINE = [
    "ingest",
    "resolver",
    "dispatcher",
    "dispatcher-priority",
    "leaders",
    "reservists",
    "responses",
]
DIRECTORY_KEYS = "dir:"  # services/state/keys.py: every key of the directory
SAMPLES = Path(__file__).parent.parent / "services" / "demo" / "samples"
DATA = Path(__file__).parent / "data"


def vigie(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The `vigie` command, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def serving_in_a_thread(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """A stand-in HTTP server, stopped however the test ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


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
    log = log or Path(tempfile.gettempdir()) / f"vigie-{settings.bus.topic_prefix}{name}.log"
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", name],
            env=env,
            stdout=sink,
            stderr=sink,
        )


async def publish(settings: Settings, raw: bytes, key: str = "k") -> None:
    await publish_signed(settings, raw, key)


async def publish_many(
    settings: Settings, raws: Iterable[bytes], signed: Callable[[bytes], bool] = lambda raw: True
) -> None:
    """Each signed as `publish` does (those `signed` says: signing reads the event, and
    ingest refuses a hostile one before it looks for a signature), over one connection."""
    producer = make_broker(settings, logger=None)
    await producer.connect()
    try:
        for raw in raws:
            await producer.publish(
                raw,
                settings.bus.topic(CRISIS_EVENTS),
                key=str(hash(raw)).encode(),
                headers=headers_for(settings, raw) if signed(raw) else {},
            )
    finally:
        await producer.stop()


# A directory file imported once in this session: its Redis keys as DUMPed after import.
_imported: dict[tuple[Path, int, int], list[tuple[bytes, bytes]]] = {}


def _identity(path: Path) -> tuple[Path, int, int]:
    """The file, as changed last: a file rewritten since is imported again."""
    stat = path.stat()
    return path.resolve(), stat.st_mtime_ns, stat.st_size


async def import_directory(settings: Settings, path: Path) -> None:
    """`vigie directory import`, for a test's own Redis. A file already imported in this
    session is restored from a copy of what its import wrote (0.3 s rather than 18 s for
    the 100,000 nationals of `london_directory`); the import itself is tested apart."""
    seen = _identity(path)
    client = _raw_client(settings)
    try:
        if seen in _imported:
            restore = client.pipeline(transaction=False)
            for key, dumped in _imported[seen]:
                restore.restore(key, 0, dumped, replace=True)
            await restore.execute()
            return
        alone = not [key async for key in client.scan_iter(match=f"{DIRECTORY_KEYS}*")]
        report = await import_files(client, [path])
        assert not report.rejected, report.rejected[:3]
        if not alone:  # a copy would hold the other file's records too
            return
        keys = [key async for key in client.scan_iter(match=f"{DIRECTORY_KEYS}*", count=1000)]
        dump = client.pipeline(transaction=False)
        for key in keys:
            dump.dump(key)
        _imported[seen] = list(zip(keys, await dump.execute(), strict=True))
    finally:
        await client.aclose()


def state_client(settings: Settings) -> redis.Redis:
    """A blocking client of Vigie's state, on one Redis or on the cluster (from its first
    seed node), answering strings."""
    url = settings.redis.url or ""
    if settings.redis.mode == "cluster":
        return cast(
            redis.Redis, redis.RedisCluster.from_url(url.split(",")[0], decode_responses=True)
        )
    return redis.Redis.from_url(url, decode_responses=True)


def _raw_client(settings: Settings) -> Redis:
    """Bytes in and out, as DUMP and RESTORE take them."""
    url = settings.redis.url or ""
    if settings.redis.mode == "cluster":
        return cast(Redis, RedisCluster.from_url(url.split(",")[0]))
    return Redis.from_url(url)


async def import_marrakech(settings: Settings, tmp_path: Path) -> None:
    """The small hand-made directory around the Marrakech earthquake sample."""
    rows = marrakech_directory(date.today())
    await import_directory(settings, write(tmp_path / "marrakech.geojson", rows))
