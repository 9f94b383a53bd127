"""An urgent crisis published while a routine one fills a throttled SMS account: the urgent
one's SMS go first, the routine one still completes, and the provider never gets more
than its rate plus a second's burst."""

from pathlib import Path

import redis

from schemas.crisis import Channel
from services.common.config import Settings
from services.providers import outbox
from tests.delivery_helpers import settled
from tests.events import event_json
from tests.fault_helpers import sent, until
from tests.helpers import import_directory, publish, running

RATE = 200.0
PIPELINE = ["ingest", "resolver", "dispatcher", "dispatcher-priority"]


def _crisis(identifier: str, urgent: bool, *centres: tuple[float, float]) -> bytes:
    """SMS only; urgent: Immediate, the priority lane (Extreme would wait for approval)."""
    return event_json(
        identifier,
        severity="Severe" if urgent else "Moderate",
        urgency="Immediate" if urgent else "Expected",
        reservist_needs=[],
        channels=["sms"],
        areas=[{"circles": [{"center": list(c), "radius_km": 60} for c in centres]}],
    )


def _most_in_any_window(times: list[float], window_s: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] < at - window_s:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_an_urgent_crisis_goes_first_through_a_throttled_sms_account(
    outbox_client: redis.Redis,
    settings: Settings,
    redis_client: redis.Redis,
    london_directory: Path,
) -> None:
    throttled = settings.changed(rate_limits={Channel.SMS: RATE})
    await import_directory(throttled, london_directory)
    async with running(throttled, PIPELINE):
        # Casablanca and Rabat (about 5,000 SMS), then Agadir (about 900).
        await publish(throttled, _crisis("ROUTINE", False, (33.57, -7.59), (34.02, -6.84)))
        await until(lambda: sent(redis_client, "ROUTINE", "sms") >= 1_000, "1,000 routine SMS")
        await publish(throttled, _crisis("URGENT", True, (30.43, -9.60)))
        urgent = await settled(redis_client, "URGENT", timeout_s=120)
        routine = await settled(redis_client, "ROUTINE", timeout_s=120)
    received = outbox.all_received(outbox_client)
    urgent_at = sorted(r.at for r in received if r.key == "URGENT")
    routine_at = sorted(r.at for r in received if r.key == "ROUTINE")
    assert len(urgent_at) == urgent["sent:sms"] >= 500
    assert len(routine_at) == routine["sent:sms"] >= 4_000, "the routine crisis completes"
    first, last = urgent_at[0], urgent_at[-1]
    print(f"urgent SMS: {len(urgent_at)} in {last - first:.1f} s at {RATE:g}/s")
    # While the urgent SMS went, routine ones yielded: at most the parts already granted.
    meanwhile = [at for at in routine_at if first < at < last]
    assert len(meanwhile) <= 2 * RATE, f"{len(meanwhile)} routine SMS went meanwhile"
    assert [at for at in routine_at if at > last], "the routine crisis went on after"
    # The rate is a promise: a window of 3 s gets 3 s of tokens and a second's burst (one
    # more second's worth of slack for the time a call takes to reach the provider).
    assert _most_in_any_window(urgent_at + routine_at, 3.0) <= RATE * 5
