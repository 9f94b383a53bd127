"""Shared pieces of the benchmarks: the directory, the crisis, process memory."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from schemas.crisis import CrisisEvent
from services.common.config import Settings
from services.common.runtime import make_redis
from services.directory.generate import generate_directory
from services.directory.importer import import_files
from services.embedded.stack import BrokerKind, EmbeddedStack, RedisKind

DATA = Path(__file__).parent / "data"
LONDON = [(51.10, -0.75), (51.10, 0.45), (51.90, 0.45), (51.90, -0.75), (51.10, -0.75)]
# Western Europe, from Madrid to Berlin and Rome: about a third of the generated nationals.
EUROPE = [(38.0, -10.0), (38.0, 20.0), (56.0, 20.0), (56.0, -10.0), (38.0, -10.0)]


def directory_file(nationals: int, seed: int = 1, trips: int | None = None) -> Path:
    """`trips`: a twentieth of the nationals unless given."""
    DATA.mkdir(exist_ok=True)
    more = "" if trips is None else f"-{trips}-trips"
    path = DATA / f"directory-{nationals}-{seed}{more}.geojson"
    if not path.exists():
        started = time.perf_counter()
        generate_directory(path, nationals, seed, trips=trips)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


async def load_directory(settings: Settings, path: Path) -> float:
    redis = make_redis(settings)
    started = time.perf_counter()
    report = await import_files(redis, [path])
    elapsed = time.perf_counter() - started
    if settings.redis.mode == "single":
        await compact_append_only_file(redis)
    used = await used_memory(redis, settings.redis.mode == "cluster")
    await redis.aclose()
    assert not report.rejected, report.rejected[:3]
    print(f"imported {dict(report.imported)} in {elapsed:.1f} s")
    nationals = report.imported.get("national", 0)
    if nationals:
        print(f"Redis holds {used / 2**20:.0f} MiB: {used / nationals:.0f} bytes per national")
    return elapsed


async def used_memory(redis: Redis, cluster: bool) -> int:
    """Bytes Redis holds (the masters' sum under Redis Cluster)."""
    if cluster:
        per_node = await redis.info("memory", target_nodes="primaries")
        return sum(int(info["used_memory"]) for info in per_node.values())
    return int((await redis.info("memory"))["used_memory"])


async def compact_append_only_file(redis: Redis) -> None:
    """Rewrite Redis's append-only file now, as after any bulk load. The import leaves it
    at about one and a half times its last rewrite; a crisis's writes can take it past
    twice, where Redis rewrites it on its own: a forked child copying the whole directory
    (600 MB, several CPU-seconds) in the middle of the measurement."""

    async def no_rewrite() -> bool:
        persistence = await redis.info("persistence")
        return not (
            int(persistence["aof_rewrite_in_progress"]) or int(persistence["aof_rewrite_scheduled"])
        )

    # First any rewrite Redis began on its own during the import: it refuses a second.
    await wait_until(no_rewrite)
    await redis.bgrewriteaof()
    await wait_until(no_rewrite)


def jagged_ring(box: list[tuple[float, float]], vertices: int) -> list[tuple[float, float]]:
    """The box's outline drawn with this many vertices, every other one a little outside
    the edge (as a coastline is), so that no vertex can be dropped: a real issuer's
    outline, and as valid a polygon as theirs."""
    (south, west), (north, east) = box[0], box[2]
    perimeter = 2 * ((north - south) + (east - west))
    ring = []
    for i in range(vertices - 1):
        d = perimeter * i / (vertices - 1)
        wiggle = 0.0005 if i % 2 else 0.0
        if d < east - west:
            ring.append((south - wiggle, west + d))
        elif d < (east - west) + (north - south):
            ring.append((south + d - (east - west), east + wiggle))
        elif d < 2 * (east - west) + (north - south):
            ring.append((north + wiggle, east - (d - (east - west) - (north - south))))
        else:
            ring.append((north - (d - 2 * (east - west) - (north - south)), west - wiggle))
    return [*ring, ring[0]]


def london_crisis(
    identifier: str,
    severity: str = "Severe",
    outline_vertices: int = 0,
    box: list[tuple[float, float]] = LONDON,
) -> CrisisEvent:
    """`outline_vertices`: the area drawn with that many vertices instead of a 5-point box.
    `box`: another area under the same wording (EUROPE: a crisis of a region)."""
    now = datetime.now(UTC)
    points = jagged_ring(box, outline_vertices) if outline_vertices else box
    return CrisisEvent.model_validate(
        {
            "identifier": identifier,
            "sender": "bench@vigie",
            "sent": now.isoformat(),
            "msg_type": "Alert",
            "category": ["Security"],
            "event": "Attack",
            "urgency": "Immediate",
            "severity": severity,
            "certainty": "Observed",
            "info": [
                {
                    "language": "fr",
                    "headline": "Attaque à Londres : restez à l'abri",
                    "instruction": "Restez à l'intérieur et suivez les consignes.",
                },
                {
                    "language": "en",
                    "headline": "Attack in London: shelter in place",
                    "instruction": "Stay indoors and follow instructions.",
                },
            ],
            "areas": [{"description": "Greater London", "polygons": [{"points": points}]}],
            "reservist_needs": [
                {
                    "need_id": "med",
                    "skill": "medicine",
                    "count": 3,
                    "languages": ["fr", "en"],
                    "deadline": (now + timedelta(hours=12)).isoformat(),
                }
            ],
        }
    )


def ocean_crisis(identifier: str) -> CrisisEvent:
    """A crisis where nobody lives (mid-Atlantic), to warm consumers up."""
    event = london_crisis(identifier).model_dump()
    event["areas"] = [
        {"description": "Atlantic", "circles": [{"center": (-30.0, -20.0), "radius_km": 10}]}
    ]
    event["reservist_needs"] = []
    return CrisisEvent.model_validate(event)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.05)


@contextmanager
def stack_with_directory(
    nationals: int,
    broker: BrokerKind = "tansu",
    redis: RedisKind = "single",
    trips: int | None = None,
) -> Iterator[tuple[EmbeddedStack, dict[str, str]]]:
    """The embedded stack holding a generated directory, and the environment for
    `vigie run` processes that use it."""
    path = directory_file(nationals, trips=trips)
    with EmbeddedStack(broker_kind=broker, redis_kind=redis) as stack:
        asyncio.run(load_directory(stack.settings(), path))
        yield stack, {**os.environ, **stack.settings().as_env()}


def start_services(
    env: dict[str, str],
    channels: list[str],
    dispatchers: int,
    email_dispatchers: int,
    email_nice: int,
    cwd: Path | None = None,
    lanes: tuple[str, ...] = ("dispatcher-priority",),
) -> dict[str, subprocess.Popen[bytes]]:
    """Ingest, the resolver and dispatcher processes of their own per lane and channel
    (VIGIE_DISPATCH_CHANNELS, see the README), so each has an interpreter of its own; the
    email dispatchers at niceness `email_nice`. `cwd`: the checkout to run (its code comes
    first on the path)."""
    # (label, service, environment, niceness)
    roles = [("ingest", "ingest", env, 0), ("resolver", "resolver", env, 0)]
    for lane in lanes:
        for channel in channels:
            replicas = email_dispatchers if channel == "email" else dispatchers
            for _ in range(replicas):
                only = {**env, "VIGIE_DISPATCH_CHANNELS": f'["{channel}"]'}
                nice = email_nice if channel == "email" else 0
                roles.append((f"{lane}-{channel}", lane, only, nice))
    return {
        f"{label}-{i}": subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", service, "--quiet"],
            env={**penv, "PYTHONPATH": str(cwd)} if cwd else penv,
            cwd=cwd,
            preexec_fn=(lambda n=nice: os.nice(n)) if nice else None,
        )
        for i, (label, service, penv, nice) in enumerate(roles)
    }


def stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM, as an operator stops a service; each finishes what it holds first."""
    running = list(processes)
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        process.wait(timeout=30)
