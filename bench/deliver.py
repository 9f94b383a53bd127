"""Delivery benchmark: publish a crisis covering ~100,000 of 1,000,000 nationals and time
what the local providers receive.

    .venv/bin/python -m bench.deliver [--nationals 1000000] [--dispatchers 1]
        [--email-dispatchers 2] [--email-nice 19] [--channels sms,push,email]
        [--broker tansu|kafka] [--redis single|cluster] [--trips N] [--area london|europe]

`--nationals 3000000 --trips 300000 --area europe`: a crisis of a region, about a million
people.

Reports time from publication (on crisis.events) to the first message received by the
local endpoints and to the last one per channel, and each service process's peak RSS.
"""

import argparse
import asyncio
import os
import time
from collections import defaultdict

from redis.asyncio import Redis

from bench.common import (
    EUROPE,
    LONDON,
    cpu_seconds,
    london_crisis,
    peak_rss_mib,
    stack_with_directory,
    start_services,
    stop,
    wait_until,
)
from schemas.crisis import Channel, CrisisEvent
from services.common.config import Settings
from services.common.runtime import make_redis
from services.providers import outbox
from services.publishing import held_event, publish_approval, publish_signed
from services.state import crises
from services.trust.approvals import signed_approval
from services.trust.keys import load_private

AREAS = {"london": LONDON, "europe": EUROPE}


def tokyo_crisis(identifier: str) -> CrisisEvent:
    """A small crisis (a few hundred people) that warms every consumer up."""
    event = london_crisis(identifier).model_dump()
    event["areas"] = [
        {"description": "Tokyo", "circles": [{"center": (35.6762, 139.6503), "radius_km": 2}]}
    ]
    event["reservist_needs"] = []
    return CrisisEvent.model_validate(event)


async def publish_and_settle(settings: Settings, redis: Redis, event: CrisisEvent) -> float:
    """When it was published, or, for a crisis the two-person rule holds (one reaching over
    VIGIE_APPROVAL_ABOVE_PEOPLE), approved by the stack's second operator."""
    published = time.time()
    await publish_signed(settings, event.model_dump_json().encode(), event.identifier)

    async def settled() -> bool:
        return crises.is_settled(await crises.status(redis, event.identifier))

    async def resolved_or_held() -> bool:
        status = await crises.status(redis, event.identifier)
        return "resolved_at" in status or await held_event(settings, event.identifier) is not None

    await wait_until(resolved_or_held, timeout_s=300)
    if (held := await held_event(settings, event.identifier)) is not None:
        assert settings.trust.approving_key is not None, "no second operator to approve"
        print(f"{event.identifier} held ({held.reason}): approved by the second operator")
        private = load_private(settings.trust.approving_key)
        published = time.time()
        await publish_approval(
            settings, signed_approval(event.identifier, event.crisis_id, private)
        )
    await wait_until(settled, timeout_s=1800)
    return published


async def arrival_times(redis: Redis, identifier: str) -> dict[str, list[float]]:
    """Per channel, when each message of the event reached a local provider."""
    times: dict[str, list[float]] = defaultdict(list)
    for message in outbox.read_log(await redis.lrange(outbox.LOG, 0, -1)):
        if message.key == identifier:
            times[message.channel].append(message.at)
    return times


async def measure(
    settings: Settings,
    outbox_url: str,
    pids: dict[str, int],
    channels: list[str],
    box: list[tuple[float, float]],
) -> None:
    redis = make_redis(settings)
    providers = Redis.from_url(outbox_url, decode_responses=True)
    only = {"channels": [Channel(c) for c in channels]}
    await publish_and_settle(settings, redis, tokyo_crisis("BENCH-WARMUP").model_copy(update=only))
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    crisis = london_crisis("BENCH-D", box=box).model_copy(update=only)
    published = await publish_and_settle(settings, redis, crisis)
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    times = await arrival_times(providers, "BENCH-D")
    status = await crises.status(redis, "BENCH-D")
    print(f"people in the area: {status['people']}")
    first = min(min(t) for t in times.values())
    print(f"published -> first message received: {first - published:.3f} s")
    for channel, received in sorted(times.items()):
        print(
            f"  {channel:5}: {len(received):6} received "
            f"(sent {status.get(f'sent:{channel}')}, failed "
            f"{status.get(f'failed:{channel}', 0)}), last after "
            f"{max(received) - published:.2f} s"
        )
    for name, pid in pids.items():
        print(f"{name}: peak RSS {peak_rss_mib(pid):.0f} MiB, CPU for the crisis {cpu[name]:.1f} s")
    await redis.aclose()
    await providers.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nationals", type=int, default=1_000_000)
    parser.add_argument("--dispatchers", type=int, default=1, help="processes per channel")
    parser.add_argument(
        "--email-dispatchers",
        type=int,
        default=2,
        help="email dispatcher processes: email costs the most CPU a person, and one "
        "interpreter cannot use the second core once SMS and push are done",
    )
    parser.add_argument("--email-nice", type=int, default=19)
    parser.add_argument(
        "--channels", default="sms,push,email", help="the crisis's channels, comma-separated"
    )
    parser.add_argument(
        "--broker",
        choices=["tansu", "kafka"],
        default="tansu",
        help="tansu, one in-memory process; kafka, three Apache Kafka brokers (KRaft)",
    )
    parser.add_argument(
        "--redis",
        choices=["single", "cluster"],
        default="single",
        help="one redis-server, or Redis Cluster (three masters with a replica each)",
    )
    parser.add_argument("--trips", type=int, default=None, help="a twentieth of --nationals")
    parser.add_argument("--area", choices=sorted(AREAS), default="london")
    args = parser.parse_args()
    channels = args.channels.split(",")
    with stack_with_directory(args.nationals, args.broker, args.redis, args.trips) as (
        stack,
        env,
    ):
        settings = stack.settings()
        # The email path (its dispatchers, and the local SMTP relay that stands in for the
        # provider's) runs at a lower CPU priority (--email-nice): SMS and push are what
        # reach people first.
        if stack.providers and stack.providers.smtp and args.email_nice:
            os.setpriority(os.PRIO_PROCESS, stack.providers.smtp.process.pid, args.email_nice)
        processes = start_services(
            env, channels, args.dispatchers, args.email_dispatchers, args.email_nice
        )
        pids = {name: p.pid for name, p in processes.items()}
        for name, part in (
            ("HTTP gateway", stack.providers),
            ("SMTP relay", stack.providers.smtp if stack.providers else None),
            ("redis", stack.redis if stack.cluster is None else None),
        ):
            if part is not None:
                pids[name] = part.process.pid
        for n, node in enumerate(stack.cluster.nodes if stack.cluster else []):
            assert node.process is not None
            pids[f"redis-cluster-{n}"] = node.process.pid
        pids |= stack.broker_processes()
        try:
            asyncio.run(
                measure(settings, stack.providers_redis_url, pids, channels, AREAS[args.area])
            )
        finally:
            stop(processes.values())


if __name__ == "__main__":
    main()
