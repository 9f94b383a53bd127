"""The delivery benchmark's crisis, round after round over one directory import: each round
starts fresh services, a fresh HTTP gateway and SMTP relay, on topics and consumer groups
of their own, warms them up, publishes the crisis and then deletes what it wrote. The
machine's speed swings by a quarter or more through the day, so one run says little; many
rounds, and checkouts interleaved round by round (`--tree`), say what a change does.

    .venv/bin/python -m bench.rounds [--rounds 10] [--nationals 1000000]
        [--tree PATH ...] [--email-dispatchers 2] [--email-nice 19]

Prints a line per round (when the last message of each channel arrived, the CPU-seconds
of every process) and, per checkout, the spread.
"""

import argparse
import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from bench.common import (
    compact_append_only_file,
    cpu_seconds,
    london_crisis,
    stack_with_directory,
    start_services,
    stop,
)
from bench.deliver import arrival_times, publish_and_settle, tokyo_crisis
from services.common.topic_admin import create_topics
from services.embedded.processes import start_providers
from services.embedded.stack import EmbeddedStack
from services.providers import outbox

CHANNELS = ["sms", "push", "email"]
TARGET_S = 10.0


@dataclass
class Spread:
    last: dict[str, list[float]] = field(default_factory=dict)
    cpu: list[float] = field(default_factory=list)

    def add(self, last: dict[str, float], cpu: float) -> None:
        for channel, at in last.items():
            self.last.setdefault(channel, []).append(at)
        self.cpu.append(cpu)


async def forget(redis: Redis, *identifiers: str) -> None:
    """Delete what a round's crises wrote, so every round starts from the same Redis."""
    await redis.delete(outbox.LOG)
    for identifier in identifiers:
        async for key in redis.scan_iter(match=f"*{{{identifier}}}*", count=1000):
            await redis.unlink(key)


def one_round(
    stack: EmbeddedStack, env: dict[str, str], number: int, checkout: Path, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float]]:
    """When the last message of each channel arrived, and each process's CPU-seconds."""
    prefix = f"round{number}."
    assert stack.redis is not None
    providers = start_providers(stack.redis_url, checkout)
    assert providers.smtp is not None
    # The relay stands in for the email provider: it runs at the email path's priority.
    os.setpriority(os.PRIO_PROCESS, providers.smtp.process.pid, args.email_nice)
    settings = stack.settings(prefix, **providers.urls())
    asyncio.run(create_topics(settings, stack.replication))
    processes = start_services(
        {**env, **settings.as_env()}, CHANNELS, 1, args.email_dispatchers, args.email_nice, checkout
    )
    pids = {name: p.pid for name, p in processes.items()}
    pids |= {
        "HTTP gateway": providers.process.pid,
        "SMTP relay": providers.smtp.process.pid,
        "redis": stack.redis.process.pid,
        **stack.broker_processes(),
    }
    warm_up, crisis = f"WARM-{number}", f"ROUND-{number}"

    async def measure() -> tuple[dict[str, float], dict[str, float]]:
        redis = Redis.from_url(settings.redis.url or "", decode_responses=True)
        try:
            await publish_and_settle(settings, redis, tokyo_crisis(warm_up))
            await compact_append_only_file(redis)
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            published = await publish_and_settle(settings, redis, london_crisis(crisis))
            cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
            times = await arrival_times(redis, crisis)
            await forget(redis, warm_up, crisis)
        finally:
            await redis.aclose()
        return {c: max(at) - published for c, at in times.items()}, cpu

    try:
        return asyncio.run(measure())
    finally:
        stop(processes.values())
        providers.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--nationals", type=int, default=1_000_000)
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        help="another checkout to run in turn with this one (repeatable)",
    )
    parser.add_argument("--email-dispatchers", type=int, default=2)
    parser.add_argument("--email-nice", type=int, default=19)
    args = parser.parse_args()
    checkouts = [Path(__file__).resolve().parent.parent, *(t.resolve() for t in args.tree)]
    spreads = {checkout: Spread() for checkout in checkouts}
    number = 0
    with stack_with_directory(args.nationals) as (stack, env):
        for n in range(args.rounds):
            # Each checkout goes first every other round: a spell of the machine's
            # speed falls on both alike.
            for checkout in checkouts if n % 2 == 0 else checkouts[::-1]:
                last, cpu = one_round(stack, env, number, checkout, args)
                number += 1
                spreads[checkout].add(last, sum(cpu.values()))
                times = ", ".join(f"{c} {last[c]:.2f} s" for c in CHANNELS if c in last)
                print(
                    f"round {n} {checkout}: last message {times}; CPU {sum(cpu.values()):.1f} s "
                    f"({', '.join(f'{name} {s:.2f}' for name, s in cpu.items())})",
                    flush=True,
                )
    for checkout, spread in spreads.items():
        print(f"{checkout}: CPU for the crisis {min(spread.cpu):.1f}-{max(spread.cpu):.1f} s")
        for channel in (c for c in CHANNELS if c in spread.last):
            ends = spread.last[channel]
            within = sum(at <= TARGET_S for at in ends)
            print(
                f"  {channel:5}: last message {min(ends):.2f}-{max(ends):.2f} s, "
                f"<= {TARGET_S:.0f} s in {within} of {len(ends)} rounds"
            )


if __name__ == "__main__":
    main()
