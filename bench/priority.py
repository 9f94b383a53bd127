"""Priority benchmark: an urgent crisis published while a routine one fills a throttled SMS
account.

    .venv/bin/python -m bench.priority [--nationals 1000000] [--rate 500]

A routine crisis over London (about 100,000 people in a million-national directory) is
sent by SMS at `--rate` a second; once 10,000 of its SMS are out, an Immediate crisis over
Ottawa (about 5,000 people) is published. Reports when the urgent SMS reached the
provider (the target: their number over the rate, plus 2 s), when the routine crisis
completed, and the most SMS the provider got in any one-second window.
"""

import argparse
import asyncio
import json
import time

from redis.asyncio import Redis

from bench.common import london_crisis, stack_with_directory, start_services, stop, wait_until
from bench.deliver import arrival_times
from schemas.crisis import Channel, CrisisEvent
from services.common.config import Settings
from services.publishing import publish_signed
from services.state import crises

OTTAWA = (45.4215, -75.6972)


def routine_crisis() -> CrisisEvent:
    """London, neither Extreme nor Immediate: the routine lane."""
    event = london_crisis("BENCH-ROUTINE").model_dump()
    event.update(urgency="Expected", severity="Moderate", reservist_needs=[])
    return CrisisEvent.model_validate(event)


def urgent_crisis() -> CrisisEvent:
    event = london_crisis("BENCH-URGENT").model_dump()
    event["areas"] = [{"description": "Ottawa", "circles": [{"center": OTTAWA, "radius_km": 60}]}]
    event["reservist_needs"] = []
    return CrisisEvent.model_validate(event)


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def measure(settings: Settings, rate: float) -> None:
    redis = Redis.from_url(settings.redis.url or "", decode_responses=True)
    sms_only = {"channels": [Channel.SMS]}

    async def sent(identifier: str, at_least: int) -> bool:
        status = await crises.status(redis, identifier)
        return int(status.get("sent:sms", 0)) >= at_least

    async def settled(identifier: str) -> bool:
        return crises.is_settled(await crises.status(redis, identifier))

    routine = routine_crisis().model_copy(update=sms_only)
    routine_published = time.time()
    await publish_signed(settings, routine.model_dump_json().encode(), routine.identifier)
    await wait_until(lambda: sent(routine.identifier, 10_000), timeout_s=600)
    urgent = urgent_crisis().model_copy(update=sms_only)
    urgent_published = time.time()
    await publish_signed(settings, urgent.model_dump_json().encode(), urgent.identifier)
    await wait_until(lambda: settled(urgent.identifier), timeout_s=600)
    await wait_until(lambda: settled(routine.identifier), timeout_s=1800)
    urgent_at = (await arrival_times(redis, urgent.identifier))["sms"]
    routine_at = (await arrival_times(redis, routine.identifier))["sms"]
    meanwhile = [at for at in routine_at if min(urgent_at) < at < max(urgent_at)]
    print(f"routine SMS: {len(routine_at)}, last {max(routine_at) - routine_published:.1f} s")
    print(
        f"urgent SMS: {len(urgent_at)}, first {min(urgent_at) - urgent_published:.2f} s, "
        f"last {max(urgent_at) - urgent_published:.2f} s after publication "
        f"(target {len(urgent_at) / rate + 2:.1f} s); routine SMS meanwhile: {len(meanwhile)}"
    )
    print(f"most SMS in any second: {most_in_a_second(urgent_at + routine_at)} (rate {rate:g})")
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nationals", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=500.0, help="SMS a second")
    args = parser.parse_args()
    with stack_with_directory(args.nationals) as (stack, env):
        env = {**env, "VIGIE_RATE_LIMITS": json.dumps({"sms": args.rate})}
        lanes = ("dispatcher", "dispatcher-priority")
        processes = start_services(env, ["sms"], 1, 0, 0, lanes=lanes)
        try:
            asyncio.run(measure(stack.settings(rate_limits={Channel.SMS: args.rate}), args.rate))
        finally:
            stop(processes.values())


if __name__ == "__main__":
    main()
