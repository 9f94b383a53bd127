"""Ingest on the real broker and Redis: what the next stage and the operators see."""

import asyncio
import signal

from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.common.bus_reader import read_models, wait_for_models
from services.common.config import Settings
from tests.events import cap_xml, event_json
from tests.helpers import publish, publish_many, running, service_process


async def test_json_and_cap_events_are_handed_on_and_a_duplicate_is_dropped(
    settings: Settings,
) -> None:
    async with running(settings, ["ingest"]):
        await publish(settings, event_json("E-JSON"))
        await publish(settings, cap_xml("E-CAP"))
        await publish(settings, event_json("E-JSON"))  # same identifier and sender
        await publish(settings, event_json("E-AFTER"))
        accepted = await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, 3)
        await asyncio.sleep(1.0)  # leave time for a wrongly accepted duplicate to show up
        accepted = await read_models(settings, CRISIS_ACCEPTED, CrisisEvent)
    assert sorted(e.identifier for e in accepted) == ["E-AFTER", "E-CAP", "E-JSON"]
    cap = next(e for e in accepted if e.identifier == "E-CAP")
    assert cap.areas[0].countries == ["MA"]


async def test_malformed_events_are_dead_lettered_and_the_next_good_one_flows(
    settings: Settings,
) -> None:
    bad = {
        b"<alert><oops>": "malformed XML",
        event_json(identifier=""): "identifier",
        cap_xml("BAD-POLY", polygon="35.7,-5.9 35.7,-5.7 35.9,-5.7 35.8,-5.8"): "not closed",
        event_json("BAD-TYPE", msgType="Panic"): "msgType",
    }
    async with running(settings, ["ingest"]):
        for raw in bad:
            await publish(settings, raw)
        await publish(settings, event_json("GOOD-AFTER-BAD"))
        accepted = await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, 1)
        letters = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, len(bad))
    assert [e.identifier for e in accepted] == ["GOOD-AFTER-BAD"]
    assert len(letters) == len(bad)
    for raw, reason in bad.items():
        letter = next(x for x in letters if x.payload == raw.decode())
        assert reason in letter.reason
        assert letter.stage == "ingest"


async def _every_one_accepted(
    settings: Settings, wanted: set[str], timeout_s: float = 90
) -> list[CrisisEvent]:
    """What ingest handed on, once it holds each wanted event: an event handed on just
    before the kill, and not yet remembered, is handed on again (downstream is idempotent),
    so counting messages can reach the total while one is still to come."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        accepted = await read_models(settings, CRISIS_ACCEPTED, CrisisEvent)
        if {e.identifier for e in accepted} >= wanted:
            return accepted
        if asyncio.get_running_loop().time() > deadline:
            return accepted  # the assertion below names what is missing
        await asyncio.sleep(0.2)


async def test_killed_ingest_loses_nothing_and_rereads_nothing_committed(
    settings: Settings,
) -> None:
    first = [event_json(f"K-{i}") for i in range(1000)] + [b"<broken-1>"]
    await publish_many(settings, first)
    process = service_process(settings, "ingest")
    try:
        await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, 1, timeout_s=60)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before_restart = len(await read_models(settings, CRISIS_ACCEPTED, CrisisEvent))
        second = [event_json(f"K-{i}") for i in range(1000, 1050)] + [b"<broken-2>"]
        await publish_many(settings, second)
        process = service_process(settings, "ingest")
        accepted = await _every_one_accepted(settings, {f"K-{i}" for i in range(1050)})
        letters = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 2, timeout_s=30)
        await asyncio.sleep(1.0)
        letters = await read_models(settings, DEAD_LETTERS, DeadLetter)
    finally:
        process.kill()
        process.wait()
    assert 0 < before_restart < 1000, "the kill must land mid-stream"
    assert {e.identifier for e in accepted} == {f"K-{i}" for i in range(1050)}
    # Dead letters are not de-duplicated: a re-read of committed input would show twice.
    assert sorted(x.payload for x in letters) == ["<broken-1>", "<broken-2>"]
