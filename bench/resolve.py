"""Resolution benchmark: a 1,000,000-national directory, a crisis covering ~100,000.

    .venv/bin/python -m bench.resolve [--nationals 1000000] [--outline 41000]

Reports the import time, then for the resolver (its own process): time from the accepted
event to the first and the last fan-out job on the bus, people targeted, and peak RSS.
With --outline N, the crisis is resolved four times, alternately over London as a 5-point
box and as an outline of N vertices (a real met service's country outline had 41,000).
"""

import argparse
import asyncio
import signal
import subprocess
import sys
import time

from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from bench.common import (
    london_crisis,
    ocean_crisis,
    peak_rss_mib,
    stack_with_directory,
    wait_until,
)
from schemas.alerts import AlertJob
from schemas.topics import ALERT_JOBS_PRIORITY, CRISIS_ACCEPTED
from services.common.config import Settings
from services.common.runtime import make_broker
from services.state import keys


async def measure(settings: Settings, resolver_pid: int, outline: int) -> None:
    redis = Redis.from_url(settings.redis.url or "", decode_responses=True)
    jobs = AIOKafkaConsumer(
        *(settings.bus.topic(topic) for topic in ALERT_JOBS_PRIORITY.values()),
        bootstrap_servers=settings.bus.bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_bytes=64 * 2**20,
    )
    await jobs.start()
    broker = make_broker(settings)
    await broker.connect()
    await warm_up(settings, broker, redis)
    shapes = [0, outline, 0, outline] if outline else [0]
    for n, vertices in enumerate(shapes, 1):
        await resolve_once(settings, broker, redis, jobs, f"BENCH-{n}", vertices)
    print(f"resolver peak RSS: {peak_rss_mib(resolver_pid):.0f} MiB")
    await jobs.stop()
    await broker.stop()
    await redis.aclose()


async def resolve_once(
    settings: Settings,
    broker: KafkaBroker,
    redis: Redis,
    jobs: AIOKafkaConsumer,
    identifier: str,
    vertices: int,
) -> None:
    event = london_crisis(identifier, outline_vertices=vertices)
    published = time.time()
    await broker.publish(event, settings.bus.topic(CRISIS_ACCEPTED), key=identifier.encode())
    await wait_until(lambda: resolved(redis, identifier))
    status = {str(k): str(v) for k, v in (await redis.hgetall(keys.status(identifier))).items()}
    timestamps: list[float] = []
    deliveries = 0
    while len(timestamps) < int(status["jobs"]):
        for records in (await jobs.getmany(timeout_ms=1000)).values():
            for record in records:
                job = AlertJob.model_validate_json(record.value)
                if job.crisis_id == identifier:
                    timestamps.append(record.timestamp / 1000)
                    deliveries += len(job.recipients)
    shape = f"an outline of {vertices:,} vertices" if vertices else "a 5-point box"
    print(f"{identifier}, London as {shape}:")
    print(
        f"  people in the area: {status['people']}, deliveries in jobs (a person on a "
        f"channel): {deliveries}, jobs: {status['jobs']}"
    )
    print(f"  accepted event -> first job: {min(timestamps) - published:.3f} s")
    print(f"  accepted event -> last job:  {max(timestamps) - published:.3f} s")


async def resolved(redis: Redis, crisis_id: str) -> bool:
    return bool(await redis.hget(keys.status(crisis_id), "resolved_at"))


async def warm_up(settings: Settings, broker: KafkaBroker, redis: Redis) -> None:
    """A crisis over empty ocean first: measure a resolver that has joined its group."""
    event = ocean_crisis("BENCH-WARMUP")
    await broker.publish(event, settings.bus.topic(CRISIS_ACCEPTED), key=b"BENCH-WARMUP")
    await wait_until(lambda: resolved(redis, "BENCH-WARMUP"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nationals", type=int, default=1_000_000)
    parser.add_argument("--outline", type=int, default=0, help="vertices of a London outline")
    args = parser.parse_args()
    with stack_with_directory(args.nationals) as (stack, env):
        settings = stack.settings()
        resolver = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", "resolver", "--quiet"], env=env
        )
        try:
            asyncio.run(measure(settings, resolver.pid, args.outline))
        finally:
            resolver.send_signal(signal.SIGTERM)
            resolver.wait(timeout=30)


if __name__ == "__main__":
    main()
